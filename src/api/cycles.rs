//! The bodies and answers of the cycle routes: `POST /cycles` (open one), `POST
//! /cycles/{name}/close`, `GET /cycles`, `GET /cycles/{name}`, and carrying a goal over
//! (`POST /goals/{id}/carry-over`).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::requests::GoalRequest;
use crate::domain::{CarryRequest, Command, CycleName, GoalId, KrName};
use crate::projections::views::CycleView;

/// `POST /cycles`
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCycle {
    /// Such as `2026-Q4`.
    pub name: CycleName,
    pub start: NaiveDate,
    /// The cycle's last day.
    pub end: NaiveDate,
}

impl From<CreateCycle> for Command {
    fn from(r: CreateCycle) -> Command {
        Command::OpenCycle {
            cycle: r.name,
            start: r.start,
            end: r.end,
        }
    }
}

/// `POST /goals/{id}/carry-over`: every part may be left out (the next cycle, its dates, the
/// latest check-in as each key result's baseline, the current targets).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CarryOver {
    /// The cycle to carry the goal into; by default the one after the goal's cycle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<CycleName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<NaiveDate>,
    /// New baselines by key result; by default its latest check-in.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub baselines: BTreeMap<KrName, f64>,
    /// New targets by key result; by default the current target.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub targets: BTreeMap<KrName, f64>,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<Utc>>,
}

impl CarryOver {
    pub fn from_parts(
        request: CarryRequest,
        reason: String,
        closes_at: Option<DateTime<Utc>>,
    ) -> CarryOver {
        CarryOver {
            to: request.to,
            start: request.start,
            due: request.due,
            baselines: request.baselines,
            targets: request.targets,
            reason,
            closes_at,
        }
    }
}

impl GoalRequest for CarryOver {
    fn into_command(self, goal: GoalId) -> Command {
        Command::CarryOver {
            goal,
            request: CarryRequest {
                to: self.to,
                start: self.start,
                due: self.due,
                baselines: self.baselines,
                targets: self.targets,
            },
            reason: self.reason,
            closes_at: self.closes_at,
        }
    }
}

/// `GET /cycles`: every cycle, earliest first.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct CycleList {
    pub cycles: Vec<CycleView>,
}
