//! Deciding: `decide(state, command, context)` checks a command against the current state and
//! returns the events it produces or the rule it breaks. It is a thin dispatcher: the work for
//! each command lives in the file of its concern (`membership`, `adoption`, `adjustments`,
//! `voting`, `check_ins`, `closing`, `tokens`, `post_mortem`). Pure: the clock and looked-up
//! facts come in `Context`.

use super::check_ins::Reading;
use super::command::{Command, Context};
use super::event::Event;
use super::rejection::Rejection;
use super::state::State;
use super::{
    adjustments, adoption, check_ins, closing, cycles, membership, post_mortem, tokens, voting,
    webhooks,
};

pub use super::validate::MAX_VALUE;
pub use super::voting::tick;

/// Checks `command` against `state` and returns the events it produces, in order.
pub fn decide(state: &State, command: &Command, ctx: &Context) -> Result<Vec<Event>, Rejection> {
    if ctx.actor.is_system() {
        return Err(Rejection::ReservedActor);
    }
    match command {
        Command::RegisterTeam { team, name } => membership::decide_register_team(state, team, name),
        Command::JoinTeam { team, member } => membership::decide_join_team(state, team, member),
        Command::LeaveTeam { team, member } => membership::decide_leave_team(state, team, member),
        Command::ProposeGoal {
            goal,
            draft,
            rule,
            reason,
            closes_at,
        } => adoption::decide_propose_goal(state, ctx, goal, draft, *rule, reason, *closes_at),
        Command::ProposeAdjustment {
            goal,
            changes,
            reason,
            closes_at,
        } => adjustments::decide_propose_adjustment(state, ctx, goal, changes, reason, *closes_at),
        Command::CastVote {
            goal,
            choice,
            reason,
        } => voting::decide_cast_vote(state, ctx, goal, *choice, reason.as_deref()),
        Command::WithdrawProposal { goal, reason } => {
            voting::decide_withdraw_proposal(state, ctx, goal, reason)
        }
        Command::RecordCheckIn {
            goal,
            key_result,
            value,
            health,
            confidence,
            note,
            corrects,
            outside_period,
        } => {
            let reading = Reading {
                value: *value,
                health: *health,
                confidence: *confidence,
                note: note.as_deref(),
                outside_period: *outside_period,
            };
            check_ins::decide_record_check_in(state, ctx, goal, key_result, reading, *corrects)
        }
        Command::CloseGoal {
            goal,
            terms,
            closes_at,
        } => closing::decide_close_goal(state, ctx, goal, terms, *closes_at),
        Command::ReopenGoal {
            goal,
            reason,
            closes_at,
        } => closing::decide_reopen_goal(state, ctx, goal, reason, *closes_at),
        Command::ResolveActionItem {
            goal,
            item,
            status,
            note,
        } => post_mortem::decide_resolve_action_item(
            state,
            ctx,
            goal,
            *item,
            *status,
            note.as_deref(),
        ),
        Command::GrantToken {
            token,
            actor,
            role,
            expires_at,
        } => tokens::decide_grant_token(state, ctx, token, actor, *role, *expires_at),
        Command::RevokeToken { token, reason } => tokens::decide_revoke_token(state, token, reason),
        Command::OpenCycle { cycle, start, end } => {
            cycles::decide_open_cycle(state, cycle, *start, *end)
        }
        Command::CloseCycle { cycle } => cycles::decide_close_cycle(state, cycle),
        Command::CarryOver {
            goal,
            request,
            reason,
            closes_at,
        } => cycles::decide_carry_over(state, ctx, goal, request, reason, *closes_at),
        Command::RegisterWebhook {
            webhook,
            url,
            events,
            team,
        } => webhooks::decide_register_webhook(state, webhook, url, events, team.as_ref()),
        Command::RemoveWebhook { webhook, reason } => {
            webhooks::decide_remove_webhook(state, webhook, reason)
        }
        Command::NotePostMortem {
            goal,
            section,
            text,
            owner,
            due,
        } => post_mortem::decide_note_post_mortem(
            state,
            ctx,
            goal,
            *section,
            text,
            owner.as_ref(),
            *due,
        ),
    }
}
