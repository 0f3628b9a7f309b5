//! `team add|join|leave|list|show`: register teams and manage their members.

use serde_json::json;

use super::{execute, Ctx};
use crate::cli::args::TeamCmd;
use crate::cli::convert::{actor_name, team_id};
use crate::cli::error::CliError;
use crate::cli::output;
use crate::domain::Command;

pub async fn run(ctx: &Ctx<'_>, cmd: &TeamCmd) -> Result<(), CliError> {
    match cmd {
        TeamCmd::Add { team, name, write } => {
            let cmd = Command::RegisterTeam {
                team: team_id(team)?,
                name: name.clone(),
            };
            execute(ctx, cmd, write).await
        }
        TeamCmd::Join {
            team,
            member,
            write,
        } => {
            let cmd = Command::JoinTeam {
                team: team_id(team)?,
                member: actor_name(member)?,
            };
            execute(ctx, cmd, write).await
        }
        TeamCmd::Leave {
            team,
            member,
            write,
        } => {
            let cmd = Command::LeaveTeam {
                team: team_id(team)?,
                member: actor_name(member)?,
            };
            execute(ctx, cmd, write).await
        }
        TeamCmd::List => {
            let teams = ctx.backend.teams().await?;
            ctx.out
                .print(&json!({ "teams": teams }), || output::teams(&teams))
        }
        TeamCmd::Show { team } => {
            let view = ctx.backend.team(&team_id(team)?).await?;
            ctx.out.print(&view, || output::team(&view))
        }
    }
}
