//! Teams and who belongs to them: registering a team, a member joining or leaving, each decided
//! (`decide_*`) and applied (`apply_*`) here. Membership is on the record, so who could vote at
//! any moment can be replayed.

use super::apply::team_mut;
use super::event::{Event, MemberJoined, MemberLeft, TeamRegistered};
use super::ids::{Actor, TeamId};
use super::preconditions::find_team;
use super::rejection::Rejection;
use super::state::{Meta, State};
use super::team::Team;
use super::validate::text;

pub(super) fn decide_register_team(
    state: &State,
    team: &TeamId,
    name: &str,
) -> Result<Vec<Event>, Rejection> {
    if state.teams.contains_key(team) {
        return Err(Rejection::TeamExists(team.clone()));
    }
    text("name", name, 1, 100, false)?;
    Ok(vec![TeamRegistered {
        team: team.clone(),
        name: name.trim().to_owned(),
    }
    .into()])
}

pub(super) fn decide_join_team(
    state: &State,
    team: &TeamId,
    member: &Actor,
) -> Result<Vec<Event>, Rejection> {
    let t = find_team(state, team)?;
    if member.is_system() {
        return Err(Rejection::ReservedActor);
    }
    if t.members.contains(member) {
        return Err(Rejection::AlreadyMember {
            team: team.clone(),
            member: member.clone(),
        });
    }
    Ok(vec![MemberJoined {
        team: team.clone(),
        member: member.clone(),
    }
    .into()])
}

pub(super) fn decide_leave_team(
    state: &State,
    team: &TeamId,
    member: &Actor,
) -> Result<Vec<Event>, Rejection> {
    let t = find_team(state, team)?;
    if !t.members.contains(member) {
        return Err(Rejection::NotAMember {
            team: team.clone(),
            member: member.clone(),
        });
    }
    Ok(vec![MemberLeft {
        team: team.clone(),
        member: member.clone(),
    }
    .into()])
}

pub(super) fn apply_team_registered(
    state: &mut State,
    meta: Meta<'_>,
    e: &TeamRegistered,
) -> Result<(), String> {
    if state.teams.contains_key(&e.team) {
        return Err(format!("team {} registered twice", e.team));
    }
    state.teams.insert(
        e.team.clone(),
        Team {
            id: e.team.clone(),
            name: e.name.clone(),
            members: Default::default(),
            version: 0,
            registered_at: meta.at,
            last_seq: 0,
        },
    );
    Ok(())
}

pub(super) fn apply_member_joined(state: &mut State, e: &MemberJoined) -> Result<(), String> {
    let team = team_mut(state, &e.team)?;
    if !team.members.insert(e.member.clone()) {
        return Err(format!("{} joined {} twice", e.member, e.team));
    }
    Ok(())
}

pub(super) fn apply_member_left(state: &mut State, e: &MemberLeft) -> Result<(), String> {
    let team = team_mut(state, &e.team)?;
    if !team.members.remove(&e.member) {
        return Err(format!(
            "{} left {} without being a member",
            e.member, e.team
        ));
    }
    Ok(())
}
