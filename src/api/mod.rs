//! The wire contract of the HTTP API, in one place for both ends: the routes (`routes.rs`: each
//! path, method, role, query and body), the request bodies (`requests.rs`), the answers
//! (`responses.rs`), and the bodies and answers of the token, cycle and webhook routes
//! (`tokens.rs`, `cycles.rs`, `webhooks.rs`). The server (`http`) parses these types, the command line's `--server` mode
//! (`cli/remote.rs`) sends them, and `/openapi.json` describes them; none of them is a stored
//! event payload, so the wire and the record can change on their own.

pub mod cycles;
mod requests;
mod responses;
pub mod routes;
pub mod tokens;
pub mod webhooks;

pub use requests::*;
pub use responses::*;
pub use routes::{path, Route, ROUTES};
pub use tokens::{CreateToken, CreatedToken, Me, RevokeToken, TokenInfo, TokenList};
