//! The command line, as clap definitions: global options, one subcommand per operation, each
//! with an example in its help. Parsing of the small languages (`--kr`, `--target`, dates) lives
//! in `parse.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::store::Location;

mod admin;
mod archive;
mod cycles;
mod serve;
pub use admin::{RoleArg, TeamCmd, TokenCmd};
pub use archive::{
    BackupArgs, CheckpointArgs, ExportArgs, ImportArgs, KeyArg, ProveArgs, RestoreArgs, VerifyArgs,
};
pub use cycles::{CarryOverArgs, CycleCmd, DueArgs, WebhookCmd};
pub use serve::{LogFormat, ServeArgs};

/// Cross-team goals on an immutable, hash-chained event log.
#[derive(Debug, Parser)]
#[command(
    name = "goal-ledger",
    version,
    about,
    after_help = "Examples:\n  goal-ledger team add marketing --name Marketing\n  goal-ledger propose web-traffic-q3 --title \"Increase website traffic\" --team marketing \\\n      --kr visits:40000:48000:visits/month --start 2026-07-01 --due 2026-09-30 --rule per-team \\\n      --reason \"Supports customer acquisition\"\n  goal-ledger show web-traffic-q3\n  goal-ledger verify"
)]
pub struct Cli {
    /// The ledger's data directory.
    #[arg(
        long,
        global = true,
        env = "GOAL_LEDGER_DATA",
        default_value = "./goal-ledger-data"
    )]
    pub data_dir: PathBuf,
    /// Keep the ledger in PostgreSQL instead of the data directory: a URL such as
    /// postgres://goals@db.internal:5432/goals. The schema is made and migrated by the
    /// program. The data directory still holds the signing key and the server's webhook key.
    #[arg(
        long,
        global = true,
        env = "GOAL_LEDGER_STORE",
        value_name = "URL",
        value_parser = Location::parse_url,
        hide_env_values = true
    )]
    pub store: Option<Location>,
    /// Send commands to a running server instead of opening the directory.
    #[arg(long, global = true, env = "GOAL_LEDGER_SERVER")]
    pub server: Option<String>,
    /// Who you are, in local mode (default: your login name). With --server the token names
    /// you; an --actor that differs from the token's actor is refused.
    #[arg(long, global = true, env = "GOAL_LEDGER_ACTOR")]
    pub actor: Option<String>,
    /// Bearer token for --server.
    #[arg(long, global = true, env = "GOAL_LEDGER_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The key that signs checkpoints (a PRIVATE+KEY+… file). Default: `signing-key` in the
    /// data directory, made with the ledger (mode 0600).
    #[arg(
        long,
        global = true,
        env = "GOAL_LEDGER_SIGNING_KEY",
        value_name = "FILE"
    )]
    pub signing_key: Option<PathBuf>,
    /// The name of a new ledger's signing key, which is its checkpoints' origin line
    /// (default: goal-ledger/<16 random hex digits>). Set it when the ledger is made.
    #[arg(long, global = true, env = "GOAL_LEDGER_ORIGIN", value_name = "NAME")]
    pub origin: Option<String>,
    /// Output format: a readable table, or one stable JSON document for scripts.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub output: Format,
    #[command(subcommand)]
    pub command: Cmd,
}

impl Cli {
    /// Where the ledger's store is: `--store`, else the data directory.
    pub fn location(&self) -> Location {
        self.store
            .clone()
            .unwrap_or_else(|| Location::Dir(self.data_dir.clone()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// Options every write command takes.
#[derive(Debug, Clone, Args)]
pub struct WriteOpts {
    /// An event id for this command: retrying with the same id appends nothing.
    #[arg(long = "id", value_name = "EVENT_ID")]
    pub event_id: Option<String>,
    /// Refuse (conflict) unless the goal or team is at this version.
    #[arg(long, value_name = "VERSION")]
    pub expect_version: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Register teams and manage their members.
    #[command(subcommand)]
    Team(TeamCmd),
    /// Propose a goal; owning teams' members then vote on adopting it.
    #[command(
        after_help = "Example:\n  goal-ledger propose web-traffic-q3 --title \"Increase website traffic\" \\\n      --team marketing --team sales --kr visits:40000:48000:visits/month \\\n      --kr organic-share:35:45:% --weight visits=2 \\\n      --start 2026-07-01 --due 2026-09-30 --rule per-team --reason \"Supports customer acquisition\""
    )]
    Propose(ProposeArgs),
    /// Vote on a goal's open proposal (a later vote replaces yours).
    #[command(
        after_help = "Examples:\n  goal-ledger vote web-traffic-q3 agree\n  goal-ledger vote web-traffic-q3 block --reason \"No budget for paid search\""
    )]
    Vote(VoteArgs),
    /// Propose an adjustment of an active goal.
    #[command(
        after_help = "Example:\n  goal-ledger adjust web-traffic-q3 --target visits=46000 --due 2026-10-15 --reason \"Budget cut\""
    )]
    Adjust(AdjustArgs),
    /// Record a key result's current value.
    #[command(
        after_help = "Example:\n  goal-ledger check-in web-traffic-q3 --kr visits --value 43000 --health on-track --confidence 7"
    )]
    CheckIn(CheckInArgs),
    /// Propose to close an active goal with its outcome; it closes when the teams accept.
    #[command(
        after_help = "The goal closes only when its rule accepts the closing proposal: the owning teams vote on it\nwith `vote`, as on an adjustment.\n\nExample:\n  goal-ledger close web-traffic-q3 achieved --score 0.9 --summary \"Organic search carried it\"\n  goal-ledger --actor sam vote web-traffic-q3 agree"
    )]
    Close(CloseArgs),
    /// Propose to reopen a closed goal; it reopens when the teams accept.
    #[command(
        after_help = "The goal reopens only when its rule accepts the reopening proposal (see `vote`).\n\nExample:\n  goal-ledger reopen web-traffic-q3 --reason \"Campaign extended into October\""
    )]
    Reopen(ReopenArgs),
    /// Withdraw a goal's open proposal.
    #[command(
        after_help = "Example:\n  goal-ledger withdraw web-traffic-q3 --reason \"Superseded by the Q4 plan\""
    )]
    Withdraw(ReasonArgs),
    /// Write a post-mortem note.
    #[command(
        after_help = "Examples:\n  goal-ledger note web-traffic-q3 --section went-well \"SEO content doubled organic visits\"\n  goal-ledger note web-traffic-q3 --section action-item \"Set up weekly traffic review\" --owner alice --due 2026-10-15"
    )]
    Note(NoteArgs),
    /// Resolve a post-mortem action item: done, or dropped with a reason.
    #[command(subcommand)]
    Action(ActionCmd),
    /// List goals.
    #[command(
        after_help = "Examples:\n  goal-ledger list\n  goal-ledger list --status active --team sales\n  goal-ledger list --cycle 2026-Q4"
    )]
    List(ListArgs),
    /// Show a goal now, or as it was.
    #[command(
        after_help = "Examples:\n  goal-ledger show web-traffic-q3\n  goal-ledger show web-traffic-q3 --as-of 2026-08-01\n  goal-ledger show web-traffic-q3 --at-seq 20"
    )]
    Show(ShowArgs),
    /// Why a goal changed: every change with before → after, reason, proposer, votes.
    #[command(after_help = "Example:\n  goal-ledger history web-traffic-q3")]
    History(GoalArg),
    /// Every event as a readable line, for a goal, a team or the whole ledger.
    #[command(
        after_help = "Examples:\n  goal-ledger timeline web-traffic-q3\n  goal-ledger timeline --team sales --since 2026-07-01 --until 2026-09-30"
    )]
    Timeline(TimelineArgs),
    /// A goal's retrospective, or a team's over a period (Markdown, HTML or JSON).
    #[command(
        after_help = "Examples:\n  goal-ledger retro web-traffic-q3\n  goal-ledger retro web-traffic-q3 --format html > retro.html\n  goal-ledger retro --team marketing --since 2026-07-01 --until 2026-09-30\n  goal-ledger retro --team marketing --cycle 2026-Q4"
    )]
    Retro(RetroArgs),
    /// Raw records, exactly as stored.
    #[command(after_help = "Example:\n  goal-ledger log --after 100 --limit 20")]
    Log(LogArgs),
    /// Check the hash chain, optionally against a digest kept earlier.
    #[command(
        after_help = "Examples:\n  goal-ledger verify\n  goal-ledger verify --digest 42:5f2c…(64 hex digits)\n  goal-ledger verify --file export.jsonl --digest 42:5f2c…\n  goal-ledger verify --checkpoint kept.checkpoint --key \"$(cat ledger.vkey)\"\n  goal-ledger verify --file q3.jsonl --proof q3.jsonl.tlog-proof --key ledger.vkey\n  goal-ledger verify --proof record-75.tlog-proof --key ledger.vkey"
    )]
    Verify(VerifyArgs),
    /// Print the latest signed checkpoint (signing one of the head if it moved), one signed
    /// earlier, or the public key that verifies them.
    #[command(
        after_help = "A checkpoint is a signed note (C2SP tlog-checkpoint): the ledger's name, its size and the\nroot of its Merkle tree. Keep one: later, `verify --checkpoint` shows the ledger still extends it.\n\nExamples:\n  goal-ledger checkpoint > kept-2026-09-30.checkpoint\n  goal-ledger checkpoint --public-key > ledger.vkey\n  goal-ledger checkpoint --size 142"
    )]
    Checkpoint(CheckpointArgs),
    /// Prove that a record is in a signed checkpoint (a tlog-proof file), or that one tree
    /// extends another (a consistency proof).
    #[command(
        after_help = "Examples:\n  goal-ledger prove 75 --out record-75.tlog-proof\n  goal-ledger prove 75 --size 142\n  goal-ledger prove --consistency 100 142"
    )]
    Prove(ProveArgs),
    /// Print the head digest (SEQ:HASH); keep it to prove later that nothing was rewritten.
    #[command(after_help = "Example:\n  goal-ledger digest >> digests-kept-by-audit.txt")]
    Digest,
    /// Write the whole log as JSON lines, exactly the stored bytes.
    #[command(
        after_help = "Examples:\n  goal-ledger export --out ledger-2026-09-30.jsonl\n  goal-ledger export --from 75 --to 142 --out q3.jsonl   # a slice, and q3.jsonl.tlog-proof"
    )]
    Export(ExportArgs),
    /// Append an export's records; refused whole unless it verifies and continues this ledger.
    #[command(
        after_help = "Examples:\n  goal-ledger --data-dir ./restored import ledger-2026-09-30.jsonl\n  goal-ledger --data-dir ./restored import ledger.jsonl --checkpoint kept.checkpoint --key ledger.vkey"
    )]
    Import(ImportArgs),
    /// Copy the ledger into a new folder (records to the head of the moment, and HEAD), live with --server.
    #[command(
        after_help = "Examples:\n  goal-ledger --server http://ledger.internal:8080 backup /backups/2026-11-23\n  goal-ledger --data-dir /var/lib/goal-ledger backup /backups/2026-11-23   # no server running"
    )]
    Backup(BackupArgs),
    /// Make a new data directory (--data-dir) from a backup folder; it must reach the backup's HEAD.
    #[command(
        after_help = "Example:\n  goal-ledger --data-dir /var/lib/goal-ledger-restored restore /backups/2026-11-23"
    )]
    Restore(RestoreArgs),
    /// Rebuild the projections from the log.
    #[command(after_help = "Example:\n  goal-ledger --data-dir /var/lib/goal-ledger rebuild")]
    Rebuild,
    /// Serve the HTTP API (and stop cleanly on SIGTERM or Ctrl-C).
    #[command(
        after_help = "Examples:\n  goal-ledger serve --addr 127.0.0.1:8080\n  goal-ledger serve --demo        # the sample quarter, public reads, a member token"
    )]
    Serve(ServeArgs),
    /// Bearer tokens for the HTTP API: create, list, revoke.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Cycles (quarters): open, close with their figures, list, show.
    #[command(subcommand)]
    Cycle(CycleCmd),
    /// Propose to carry an active goal into the next cycle, with new dates, baselines and
    /// targets; it moves when its rule accepts.
    #[command(
        after_help = "By default the goal moves into the cycle after its own, with that cycle's dates; each key\nresult's new baseline is its latest check-in and its target stays.\n\nExamples:\n  goal-ledger carry-over csat-q3 --reason \"The CRM migration slipped into Q4\"\n  goal-ledger carry-over csat-q3 --to 2026-Q4 --target csat=83 --baseline first-response=9 \\\n      --due 2026-11-30 --reason \"Half the gap in half the time\""
    )]
    CarryOver(CarryOverArgs),
    /// What is waiting for a person or a team: check-ins due or overdue, votes, action items,
    /// proposals closing within 48 hours.
    #[command(
        after_help = "A key result is due when its last check-in is older than its goal's cadence (weekly unless\nset), overdue past twice that.\n\nExamples:\n  goal-ledger due --actor alice\n  goal-ledger due --team sales --output json"
    )]
    Due(DueArgs),
    /// Webhooks: register a URL for events (its signing secret is printed once), list, remove,
    /// see deliveries, send a test ping. Needs --server for deliveries and tests.
    #[command(subcommand)]
    Webhook(WebhookCmd),
}

#[derive(Debug, Subcommand)]
pub enum ActionCmd {
    /// Mark an action item done (ITEM is its number on the goal, as `note` and `show` print it).
    #[command(
        after_help = "Example:\n  goal-ledger action done web-traffic-q3 1 --note \"Budget is a standing slide in the monthly review\""
    )]
    Done {
        goal: String,
        item: u32,
        /// What was done.
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        write: WriteOpts,
    },
    /// Drop an action item that will not be done, saying why.
    #[command(
        after_help = "Example:\n  goal-ledger action drop csat-q3 1 --reason \"The CRM migration replaces the hand-off step\""
    )]
    Drop {
        goal: String,
        item: u32,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        write: WriteOpts,
    },
}

#[derive(Debug, Args)]
pub struct ProposeArgs {
    /// The goal's id, a slug such as web-traffic-q3.
    pub goal: String,
    #[arg(long)]
    pub title: String,
    #[arg(long, default_value = "")]
    pub description: String,
    /// An owning team (repeat for a joint goal).
    #[arg(long = "team", required = true)]
    pub teams: Vec<String>,
    /// A key result NAME:BASELINE:TARGET[:UNIT] (repeatable).
    #[arg(long = "kr", required = true, value_name = "SPEC")]
    pub key_results: Vec<String>,
    /// The cycle it belongs to (default: the cycle containing --start).
    #[arg(long)]
    pub cycle: Option<String>,
    /// How often its key results are checked in: weekly (default), biweekly, monthly or none.
    #[arg(long)]
    pub cadence: Option<String>,
    /// A key result's weight in the goal's score, KR=W (repeatable; default 1).
    #[arg(long = "weight", value_name = "KR=W")]
    pub weights: Vec<String>,
    /// Start date (YYYY-MM-DD).
    #[arg(long)]
    pub start: String,
    /// Due date (YYYY-MM-DD).
    #[arg(long)]
    pub due: String,
    /// unanimous, consent, majority, threshold:P, quorum:Q,threshold:P or per-team.
    #[arg(long, default_value = "per-team")]
    pub rule: String,
    /// Why this goal.
    #[arg(long)]
    pub reason: String,
    /// A parent goal this one aligns with.
    #[arg(long)]
    pub parent: Option<String>,
    /// When voting closes (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    pub closes_at: Option<String>,
    #[command(flatten)]
    pub write: WriteOpts,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ChoiceArg {
    Agree,
    Abstain,
    Disagree,
    Block,
}

#[derive(Debug, Args)]
pub struct VoteArgs {
    pub goal: String,
    pub choice: ChoiceArg,
    /// Why (required for block).
    #[arg(long)]
    pub reason: Option<String>,
    #[command(flatten)]
    pub write: WriteOpts,
}

#[derive(Debug, Args)]
pub struct AdjustArgs {
    pub goal: String,
    /// A new target KR=VALUE (repeatable).
    #[arg(long = "target", value_name = "KR=VALUE")]
    pub targets: Vec<String>,
    #[arg(long)]
    pub due: Option<String>,
    #[arg(long)]
    pub start: Option<String>,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    /// Add a key result NAME:BASELINE:TARGET[:UNIT] (repeatable).
    #[arg(long = "add-kr", value_name = "SPEC")]
    pub add_key_results: Vec<String>,
    /// The weight of an added key result, KR=W (repeatable; default 1).
    #[arg(long = "weight", value_name = "KR=W")]
    pub weights: Vec<String>,
    /// Drop a key result (repeatable).
    #[arg(long = "drop-kr", value_name = "NAME")]
    pub drop_key_results: Vec<String>,
    /// The rule for later proposals on this goal.
    #[arg(long)]
    pub rule: Option<String>,
    /// The new set of owning teams (repeat for each).
    #[arg(long = "team")]
    pub teams: Vec<String>,
    /// A new parent goal.
    #[arg(long)]
    pub parent: Option<String>,
    /// A new check-in cadence: weekly, biweekly, monthly or none.
    #[arg(long)]
    pub cadence: Option<String>,
    #[arg(long)]
    pub reason: String,
    #[arg(long)]
    pub closes_at: Option<String>,
    #[command(flatten)]
    pub write: WriteOpts,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum HealthArg {
    OnTrack,
    AtRisk,
    OffTrack,
}

#[derive(Debug, Args)]
pub struct CheckInArgs {
    pub goal: String,
    /// The key result's name.
    #[arg(long = "kr")]
    pub key_result: String,
    #[arg(long, allow_negative_numbers = true)]
    pub value: f64,
    #[arg(long, value_enum)]
    pub health: HealthArg,
    /// 0 to 10.
    #[arg(long)]
    pub confidence: Option<u8>,
    #[arg(long)]
    pub note: Option<String>,
    /// The sequence number of an earlier check-in this one corrects.
    #[arg(long, value_name = "SEQ")]
    pub corrects: Option<u64>,
    /// Mark it as outside the goal's period (start to due): needed before the start.
    #[arg(long)]
    pub outside_period: bool,
    #[command(flatten)]
    pub write: WriteOpts,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutcomeArg {
    Achieved,
    Partial,
    Missed,
    Dropped,
}

#[derive(Debug, Args)]
pub struct CloseArgs {
    pub goal: String,
    pub outcome: OutcomeArg,
    /// 0.0 to 1.0.
    #[arg(long)]
    pub score: f64,
    #[arg(long)]
    pub summary: String,
    /// A key result's final value KR=VALUE (default: its latest check-in).
    #[arg(long = "final", value_name = "KR=VALUE")]
    pub final_values: Vec<String>,
    /// When the closing proposal is decided with the votes it has (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    pub closes_at: Option<String>,
    #[command(flatten)]
    pub write: WriteOpts,
}

#[derive(Debug, Args)]
pub struct ReasonArgs {
    pub goal: String,
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub write: WriteOpts,
}

#[derive(Debug, Args)]
pub struct ReopenArgs {
    pub goal: String,
    #[arg(long)]
    pub reason: String,
    /// When the reopening proposal is decided with the votes it has (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    pub closes_at: Option<String>,
    #[command(flatten)]
    pub write: WriteOpts,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SectionArg {
    WentWell,
    WentWrong,
    Lesson,
    ActionItem,
    Kudos,
}

#[derive(Debug, Args)]
pub struct NoteArgs {
    pub goal: String,
    #[arg(long, value_enum)]
    pub section: SectionArg,
    pub text: String,
    /// Action items: who will do it.
    #[arg(long)]
    pub owner: Option<String>,
    /// Action items: by when (YYYY-MM-DD).
    #[arg(long)]
    pub due: Option<String>,
    #[command(flatten)]
    pub write: WriteOpts,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// proposed, active, rejected, withdrawn or closed.
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long)]
    pub team: Option<String>,
    /// Goals of this cycle (see `cycle list`).
    #[arg(long)]
    pub cycle: Option<String>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub goal: String,
    /// The goal as it was at this time (RFC 3339 or YYYY-MM-DD, end of day).
    #[arg(long, conflicts_with = "at_seq")]
    pub as_of: Option<String>,
    /// The goal as it was after this sequence number.
    #[arg(long)]
    pub at_seq: Option<u64>,
}

#[derive(Debug, Args)]
pub struct GoalArg {
    pub goal: String,
}

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// One goal's timeline (default: the whole ledger).
    pub goal: Option<String>,
    #[arg(long, conflicts_with = "goal")]
    pub team: Option<String>,
    /// From this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    pub since: Option<String>,
    /// Up to this time (RFC 3339, or YYYY-MM-DD meaning the end of that day).
    #[arg(long)]
    pub until: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Md,
    Html,
    Json,
}

#[derive(Debug, Args)]
pub struct RetroArgs {
    /// The goal (or use --team for a period report).
    #[arg(required_unless_present = "team")]
    pub goal: Option<String>,
    #[arg(long, conflicts_with = "goal")]
    pub team: Option<String>,
    /// A cycle's report, for --team: the cycle's goals whatever day they closed, with the hit
    /// rate against the previous cycle, carry-overs and follow-through on its action items.
    #[arg(long, requires = "team", conflicts_with_all = ["since", "until"])]
    pub cycle: Option<String>,
    /// Period start (YYYY-MM-DD), for --team: goals whose period overlaps the range count.
    #[arg(long, requires = "team")]
    pub since: Option<String>,
    /// Period end (YYYY-MM-DD), for --team.
    #[arg(long, requires = "team")]
    pub until: Option<String>,
    /// md (default), html or json; `--output json` also selects json.
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Records after this sequence number.
    #[arg(long, default_value_t = 0)]
    pub after: u64,
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Keep printing new records as they are appended (needs --server).
    #[arg(long)]
    pub follow: bool,
}
