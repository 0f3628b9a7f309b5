//! A team (department) and its members. Membership changes are events, so who could vote at any
//! moment is itself on the record.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{Actor, TeamId};

/// A registered team and its current members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub members: BTreeSet<Actor>,
    pub version: u64,
    pub registered_at: DateTime<Utc>,
    pub last_seq: u64,
}
