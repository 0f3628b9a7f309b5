//! Where votes are counted: the consensus rules (`unanimous`, `consent`, `majority`,
//! `threshold:P` with optional `quorum:Q`, `per-team`), the fixed electorate of a proposal, and
//! `evaluate`, which says whether a proposal's outcome is settled.
//!
//! A proposal is decided as soon as the votes still missing can no longer change its outcome, or
//! at its closing time with the votes it has. Until then any voter may change their vote.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ids::{Actor, TeamId};

/// How a proposal is decided. Stored and shown in its text form (`threshold:0.66`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// Everyone in the electorate agrees (abstaining stands aside); a block or a disagree rejects.
    Unanimous,
    /// Passes unless someone blocks, once all have voted or at the closing time.
    Consent,
    /// Share of `agree` among non-abstaining votes at least `share` (majority: more than half),
    /// with at least `quorum` of the electorate voting.
    Threshold { share: Share, quorum: Option<f64> },
    /// Every owning team signs off by a majority of its own members in the electorate (more
    /// than half agree), and nobody blocks.
    PerTeam,
}

/// The share a threshold rule needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Share {
    /// Strictly more than half.
    Majority,
    /// At least this fraction, in (0, 1].
    AtLeast(f64),
}

/// A rule's text did not parse; the message lists the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid rule {0:?}: use unanimous, consent, majority, threshold:P, per-team, optionally with quorum:Q (P and Q between 0 and 1, for example `quorum:0.5,threshold:0.66`)")]
pub struct RuleError(pub String);

impl Rule {
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let err = || RuleError(text.chars().take(80).collect());
        let fraction = |v: &str| -> Result<f64, RuleError> {
            let f: f64 = v.trim().parse().map_err(|_| err())?;
            if f > 0.0 && f <= 1.0 {
                Ok(f)
            } else {
                Err(err())
            }
        };
        let mut base: Option<Rule> = None;
        let mut quorum = None;
        for part in text.split(',').map(str::trim) {
            let rule = match part.split_once(':') {
                None if part == "unanimous" => Rule::Unanimous,
                None if part == "consent" => Rule::Consent,
                None if part == "per-team" => Rule::PerTeam,
                None if part == "majority" => Rule::Threshold {
                    share: Share::Majority,
                    quorum: None,
                },
                Some(("threshold", p)) => Rule::Threshold {
                    share: Share::AtLeast(fraction(p)?),
                    quorum: None,
                },
                Some(("quorum", q)) if quorum.is_none() => {
                    quorum = Some(fraction(q)?);
                    continue;
                }
                _ => return Err(err()),
            };
            if base.replace(rule).is_some() {
                return Err(err());
            }
        }
        match (base, quorum) {
            (Some(Rule::Threshold { share, .. }), q) => Ok(Rule::Threshold { share, quorum: q }),
            (Some(rule), None) => Ok(rule),
            // A quorum only makes sense for counted votes; alone it means a majority with quorum.
            (None, Some(q)) => Ok(Rule::Threshold {
                share: Share::Majority,
                quorum: Some(q),
            }),
            _ => Err(err()),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Unanimous => f.write_str("unanimous"),
            Rule::Consent => f.write_str("consent"),
            Rule::PerTeam => f.write_str("per-team"),
            Rule::Threshold { share, quorum } => {
                if let Some(q) = quorum {
                    write!(f, "quorum:{q},")?;
                }
                match share {
                    Share::Majority => f.write_str("majority"),
                    Share::AtLeast(p) => write!(f, "threshold:{p}"),
                }
            }
        }
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Rule, D::Error> {
        let text = String::deserialize(d)?;
        Rule::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Rule {
    fn schema_name() -> String {
        "Rule".to_owned()
    }
    fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            string: Some(Box::new(schemars::schema::StringValidation {
                pattern: Some(
                    "^(unanimous|consent|per-team|majority|threshold:[0-9.]+|quorum:[0-9.]+,(majority|threshold:[0-9.]+))$"
                        .to_owned(),
                ),
                ..Default::default()
            })),
            metadata: Some(Box::new(schemars::schema::Metadata {
                description: Some(
                    "Consensus rule: unanimous, consent, majority, threshold:P, quorum:Q,threshold:P, per-team"
                        .to_owned(),
                ),
                ..Default::default()
            })),
            ..Default::default()
        }
        .into()
    }
}

/// A vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Choice {
    Agree,
    Abstain,
    Disagree,
    /// A veto under unanimous, consent and per-team; counts as disagree under threshold rules.
    Block,
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Choice::Agree => "agree",
            Choice::Abstain => "abstain",
            Choice::Disagree => "disagree",
            Choice::Block => "block",
        })
    }
}

/// Who may vote on a proposal: the members of each owning team when it opened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Electorate(pub BTreeMap<TeamId, BTreeSet<Actor>>);

impl Electorate {
    pub fn contains(&self, actor: &Actor) -> bool {
        self.0.values().any(|members| members.contains(actor))
    }

    /// Every voter once, even when they sit in several owning teams.
    pub fn voters(&self) -> BTreeSet<&Actor> {
        self.0.values().flatten().collect()
    }
}

/// How the votes stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tally {
    pub agree: u32,
    pub abstain: u32,
    pub disagree: u32,
    pub block: u32,
    /// Members of the electorate who have not voted.
    pub silent: u32,
}

/// A settled proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Accepted,
    Rejected,
}

/// A verdict and the sentence that explains it.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub outcome: Outcome,
    pub explanation: String,
    pub tally: Tally,
}

/// Counts `votes` (each voter's latest choice) over `electorate`.
pub fn tally(electorate: &Electorate, votes: &BTreeMap<Actor, Choice>) -> Tally {
    let mut t = Tally::default();
    for voter in electorate.voters() {
        match votes.get(voter) {
            Some(Choice::Agree) => t.agree += 1,
            Some(Choice::Abstain) => t.abstain += 1,
            Some(Choice::Disagree) => t.disagree += 1,
            Some(Choice::Block) => t.block += 1,
            None => t.silent += 1,
        }
    }
    t
}

fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// Says whether the proposal is settled. `closing` is true when its closing time has passed: then
/// it is decided with the votes it has. Otherwise it is decided only if the silent voters can no
/// longer change the outcome.
pub fn evaluate(
    rule: &Rule,
    electorate: &Electorate,
    votes: &BTreeMap<Actor, Choice>,
    closing: bool,
) -> Option<Verdict> {
    let t = tally(electorate, votes);
    let count = Count {
        electorate,
        votes,
        t,
        all_voted: t.silent == 0,
        final_count: t.silent == 0 || closing,
    };
    match rule {
        Rule::Unanimous => evaluate_unanimous(&count),
        Rule::Consent => evaluate_consent(&count),
        Rule::Threshold { share, quorum } => evaluate_threshold(&count, share, *quorum),
        Rule::PerTeam => evaluate_per_team(&count),
    }
}

/// The votes as one rule sees them: the ballots, their tally, and whether this is the final
/// count (everyone voted, or the closing time passed).
struct Count<'a> {
    electorate: &'a Electorate,
    votes: &'a BTreeMap<Actor, Choice>,
    t: Tally,
    all_voted: bool,
    final_count: bool,
}

impl Count<'_> {
    fn verdict(&self, outcome: Outcome, explanation: String) -> Option<Verdict> {
        Some(Verdict {
            outcome,
            explanation,
            tally: self.t,
        })
    }

    /// Rejected when anyone in the electorate blocks, naming them.
    fn blocked(&self) -> Option<Verdict> {
        if self.t.block == 0 {
            return None;
        }
        let blockers = self
            .votes
            .iter()
            .filter(|(a, c)| **c == Choice::Block && self.electorate.contains(a))
            .map(|(a, _)| a.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        self.verdict(Outcome::Rejected, format!("blocked by {blockers}"))
    }
}

/// Everyone agrees or abstains; a block or a disagree rejects at once, silence at the closing
/// time rejects, and all abstaining rejects.
fn evaluate_unanimous(c: &Count<'_>) -> Option<Verdict> {
    let t = &c.t;
    if let Some(blocked) = c.blocked() {
        return Some(blocked);
    }
    if t.disagree > 0 {
        return c.verdict(
            Outcome::Rejected,
            format!("not unanimous: {} disagreed", t.disagree),
        );
    }
    if !c.final_count {
        return None;
    }
    if !c.all_voted {
        c.verdict(
            Outcome::Rejected,
            format!(
                "not unanimous: {} of {} did not vote by the closing time",
                t.silent,
                t.agree + t.abstain + t.silent
            ),
        )
    } else if t.agree == 0 {
        c.verdict(Outcome::Rejected, "everyone abstained".to_owned())
    } else {
        c.verdict(
            Outcome::Accepted,
            format!("unanimous: {} agreed, {} abstained", t.agree, t.abstain),
        )
    }
}

/// Passes at the final count unless someone blocks; a block rejects at once.
fn evaluate_consent(c: &Count<'_>) -> Option<Verdict> {
    let t = &c.t;
    if let Some(blocked) = c.blocked() {
        return Some(blocked);
    }
    if !c.final_count {
        return None;
    }
    c.verdict(
        Outcome::Accepted,
        format!(
            "consent: no block ({} agreed, {} disagreed, {} abstained, {} silent)",
            t.agree, t.disagree, t.abstain, t.silent
        ),
    )
}

/// A share of agree among non-abstaining votes (a block counts as disagree), with an optional
/// quorum; decided early once the silent voters cannot change the outcome.
fn evaluate_threshold(c: &Count<'_>, share: &Share, quorum: Option<f64>) -> Option<Verdict> {
    let t = &c.t;
    let against = t.disagree + t.block;
    let electorate_size = t.agree + t.abstain + against + t.silent;
    let cast = t.agree + t.abstain + against;
    let quorum_met = quorum.is_none_or(|q| cast as f64 + 1e-9 >= q * electorate_size as f64);
    let meets = |agree: u32, counted: u32| {
        counted > 0
            && match share {
                Share::Majority => 2 * agree > counted,
                Share::AtLeast(p) => agree as f64 / counted as f64 + 1e-9 >= *p,
            }
    };
    let needed = match share {
        Share::Majority => "more than half".to_owned(),
        Share::AtLeast(p) => format!("at least {}", percent(*p)),
    };
    let counted = t.agree + against;
    let described = || {
        format!(
            "{} of {} non-abstaining votes agreed, {} needed",
            t.agree, counted, needed
        )
    };
    if c.final_count {
        if !quorum_met {
            let q = quorum.unwrap_or(0.0);
            return c.verdict(
                Outcome::Rejected,
                format!(
                    "quorum not reached: {cast} of {electorate_size} voted, {} needed",
                    percent(q)
                ),
            );
        }
        return if meets(t.agree, counted) {
            c.verdict(Outcome::Accepted, described())
        } else {
            c.verdict(Outcome::Rejected, described())
        };
    }
    if quorum_met && meets(t.agree, counted + t.silent) {
        return c.verdict(
            Outcome::Accepted,
            format!("{} (the {} silent cannot change it)", described(), t.silent),
        );
    }
    if !meets(t.agree + t.silent, counted + t.silent) {
        return c.verdict(
            Outcome::Rejected,
            format!("{} (the {} silent cannot change it)", described(), t.silent),
        );
    }
    None
}

/// Every owning team signs off by a majority of its own members in the electorate (more than
/// half agree), and nobody blocks. Rejected as soon as one team can no longer reach its majority
/// (its silent members could not make one, or the count is final); accepted as soon as every team
/// has one. The explanation gives each team's tally.
fn evaluate_per_team(c: &Count<'_>) -> Option<Verdict> {
    if let Some(blocked) = c.blocked() {
        return Some(blocked);
    }
    let mut tallies = Vec::new();
    let mut short = Vec::new();
    let mut all_signed = true;
    for (team, members) in &c.electorate.0 {
        let vote = |m: &&Actor| c.votes.get(*m);
        let agree = members
            .iter()
            .filter(|m| vote(m) == Some(&Choice::Agree))
            .count();
        let silent = members.iter().filter(|m| vote(m).is_none()).count();
        let size = members.len();
        let reachable = if c.final_count { agree } else { agree + silent };
        if 2 * reachable <= size {
            short.push(team.as_str());
        }
        all_signed &= 2 * agree > size;
        tallies.push(format!("{team} {agree}/{size} agree"));
    }
    let tallies = tallies.join(", ");
    if !short.is_empty() {
        return c.verdict(
            Outcome::Rejected,
            format!(
                "no majority of its members in {}: {tallies}",
                short.join(", ")
            ),
        );
    }
    if !all_signed {
        return None;
    }
    c.verdict(
        Outcome::Accepted,
        format!("every team signed off by a majority of its members: {tallies}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_from_and_print_to_their_documented_forms() {
        for text in [
            "unanimous",
            "consent",
            "majority",
            "threshold:0.66",
            "quorum:0.5,threshold:0.66",
            "quorum:0.5,majority",
            "per-team",
        ] {
            assert_eq!(Rule::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(
            Rule::parse("threshold:0.66,quorum:0.5")
                .unwrap()
                .to_string(),
            "quorum:0.5,threshold:0.66"
        );
        for bad in [
            "",
            "most",
            "threshold:1.5",
            "threshold:0",
            "threshold:x",
            "unanimous,consent",
            "consent,quorum:0.5",
        ] {
            assert!(Rule::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
