//! The arguments of the commands that administer who may act: teams and their members, and
//! bearer tokens.

use clap::{Subcommand, ValueEnum};

use super::WriteOpts;

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Create a token for an actor with a role; it is printed once and only its hash is kept.
    /// You (`--actor`, or the token with --server) are recorded as the one who granted it.
    #[command(
        after_help = "Examples:\n  goal-ledger --actor olivia token create --for olivia --role admin    # the first admin token, before the first `serve`\n  goal-ledger --server http://127.0.0.1:8080 --token \"$ADMIN_TOKEN\" token create --for alice --role member\n  goal-ledger token create --for auditor --role reader --expires-at 2026-12-31"
    )]
    Create {
        /// Who holds the token: the actor the server records for its requests.
        #[arg(long = "for", value_name = "ACTOR")]
        holder: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// When the token stops working: RFC 3339 (2026-12-31T17:00:00Z) or a date (the end of
        /// that day, UTC). Without it the token works until revoked.
        #[arg(long, value_name = "TIME")]
        expires_at: Option<String>,
    },
    /// List tokens by fingerprint, holder, role, granter, expiry and revocation (never the
    /// tokens themselves).
    #[command(
        after_help = "Examples:\n  goal-ledger token list\n  goal-ledger --server http://127.0.0.1:8080 --token \"$ADMIN_TOKEN\" token list"
    )]
    List,
    /// Revoke a token by its fingerprint (from `token list`; 8 or more hex digits). With
    /// --server it is refused from the server's next request on.
    #[command(
        after_help = "Examples:\n  goal-ledger token revoke 3f9a1c0d2b7e --reason \"Left the company\"\n  goal-ledger --server http://127.0.0.1:8080 --token \"$ADMIN_TOKEN\" token revoke 3f9a1c0d --reason \"Lost laptop\""
    )]
    Revoke {
        fingerprint: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Reader,
    Member,
    Admin,
}

#[derive(Debug, Subcommand)]
pub enum TeamCmd {
    /// Register a team.
    #[command(
        after_help = "Example:\n  goal-ledger team add customer-service --name \"Customer Service\""
    )]
    Add {
        team: String,
        /// The team's display name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        write: WriteOpts,
    },
    /// Add a member to a team.
    #[command(after_help = "Example:\n  goal-ledger team join marketing alice")]
    Join {
        team: String,
        member: String,
        #[command(flatten)]
        write: WriteOpts,
    },
    /// Remove a member from a team.
    #[command(after_help = "Example:\n  goal-ledger team leave marketing alice")]
    Leave {
        team: String,
        member: String,
        #[command(flatten)]
        write: WriteOpts,
    },
    /// List teams.
    #[command(after_help = "Example:\n  goal-ledger team list --output json")]
    List,
    /// Show a team with its members and goals.
    #[command(after_help = "Example:\n  goal-ledger team show marketing")]
    Show { team: String },
}
