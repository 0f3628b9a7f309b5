//! The arguments of the commands that run the quarter as a loop: cycles, carry-over, what is
//! due, and webhooks.

use clap::{Args, Subcommand};

use super::WriteOpts;

#[derive(Debug, Subcommand)]
pub enum CycleCmd {
    /// Open a cycle (admins): a named period goals belong to. Cycles may not overlap.
    #[command(
        after_help = "Example:\n  goal-ledger cycle open 2026-Q4 --start 2026-10-01 --end 2026-12-31"
    )]
    Open {
        /// Such as 2026-Q4: letters, digits and hyphens.
        name: String,
        #[arg(long)]
        start: String,
        /// The cycle's last day.
        #[arg(long)]
        end: String,
        #[command(flatten)]
        write: WriteOpts,
    },
    /// Close a cycle (admins), recording its figures: goals, outcomes, hit rate, average score,
    /// carried over, action items done and open. Refused while a goal of it has an open proposal.
    #[command(after_help = "Example:\n  goal-ledger cycle close 2026-Q3")]
    Close {
        name: String,
        #[command(flatten)]
        write: WriteOpts,
    },
    /// List the cycles, earliest first.
    #[command(after_help = "Example:\n  goal-ledger cycle list")]
    List,
    /// Show a cycle: its dates, goals and figures (as recorded at closing, or as they stand).
    #[command(after_help = "Example:\n  goal-ledger cycle show 2026-Q3")]
    Show { name: String },
}

#[derive(Debug, Args)]
pub struct CarryOverArgs {
    pub goal: String,
    /// The cycle to carry it into (default: the one after the goal's cycle).
    #[arg(long)]
    pub to: Option<String>,
    /// The new start (default: the cycle's first day).
    #[arg(long)]
    pub start: Option<String>,
    /// The new due date (default: the cycle's last day).
    #[arg(long)]
    pub due: Option<String>,
    /// A key result's new baseline KR=VALUE (repeatable; default: its latest check-in).
    #[arg(long = "baseline", value_name = "KR=VALUE")]
    pub baselines: Vec<String>,
    /// A key result's new target KR=VALUE (repeatable; default: its current target).
    #[arg(long = "target", value_name = "KR=VALUE")]
    pub targets: Vec<String>,
    #[arg(long)]
    pub reason: String,
    #[arg(long)]
    pub closes_at: Option<String>,
    #[command(flatten)]
    pub write: WriteOpts,
}

/// Whose work: a person's (`--actor`, the global option; with --server and no --actor, the
/// token's holder) or a team's.
#[derive(Debug, Args)]
pub struct DueArgs {
    /// A team's work instead of a person's.
    #[arg(long)]
    pub team: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum WebhookCmd {
    /// Register a webhook (admins); its signing secret is printed once.
    #[command(
        after_help = "Events: vote-needed, check-in-due, proposal-decided, goal-closed, cycle-closed,\naction-item-due. Deliveries follow Standard Webhooks (webhook-id, webhook-timestamp,\nwebhook-signature: v1,<base64 HMAC-SHA256>), at least once, in order, retried for a day.\n\nExample:\n  goal-ledger webhook add https://chat.example.com/hooks/goals --events vote-needed,goal-closed --team sales"
    )]
    Add {
        url: String,
        /// Comma-separated, or repeat the flag.
        #[arg(long, value_delimiter = ',', required = true)]
        events: Vec<String>,
        /// Only events of this team's goals (reminders: of its members).
        #[arg(long)]
        team: Option<String>,
    },
    /// List the webhooks in force.
    #[command(after_help = "Example:\n  goal-ledger webhook list")]
    List,
    /// Remove a webhook (admins): nothing more is sent to it.
    #[command(
        after_help = "Example:\n  goal-ledger webhook remove wh-3f9a1c2e --reason \"Channel archived\""
    )]
    Remove {
        id: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        write: WriteOpts,
    },
    /// A webhook's deliveries: attempts, status codes, the next retry (needs --server).
    #[command(after_help = "Example:\n  goal-ledger webhook deliveries wh-3f9a1c2e")]
    Deliveries { id: String },
    /// Send a webhook a signed `ping` now (needs --server).
    #[command(after_help = "Example:\n  goal-ledger webhook test wh-3f9a1c2e")]
    Test { id: String },
}
