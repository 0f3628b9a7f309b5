//! Retrospectives and the web view: golden Markdown and JSON reports of the sample quarter, SVG
//! charts that are well-formed and hold every check-in with readable axes, hostile text escaped
//! everywhere, content negotiation, a real headless Chromium rendering the goal page, and the
//! dependency rule between ledger, report, render and web.

use goal_ledger::domain::{Choice, Command};
use goal_ledger::ledger::Ledger;
use goal_ledger::render::{chart, html, markdown};
use goal_ledger::report;
use goal_ledger::web::markup;
use serde_json::json;

use crate::golden;
use crate::support::*;

/// The sample quarter imported into a fresh ledger.
async fn sample() -> (tempfile::TempDir, Ledger) {
    let dir = temp_dir();
    let ledger = Ledger::open(dir.path(), Default::default()).unwrap();
    ledger
        .import(
            &golden::path("events/samples/quarterly-goals.jsonl"),
            &mut |_| {},
        )
        .await
        .unwrap();
    (dir, ledger)
}

#[tokio::test]
async fn the_sample_retrospectives_match_their_golden_files() {
    let (_dir, ledger) = sample().await;
    let retro = report::goal_retro_of(&ledger, &goal_id("web-traffic-q3"))
        .unwrap()
        .unwrap();
    golden::check(
        "events/samples/retro/web-traffic-q3.md",
        &markdown::goal(&retro),
    );
    golden::check(
        "events/samples/retro/web-traffic-q3.json",
        &(serde_json::to_string_pretty(&retro).unwrap() + "\n"),
    );
    let team = report::team_retro_of(
        &ledger,
        &team_id("marketing"),
        Some(date("2026-07-01")),
        Some(date("2026-10-31")),
    )
    .unwrap()
    .unwrap();
    golden::check(
        "events/samples/retro/marketing-q3.md",
        &markdown::team(&team),
    );
    golden::check(
        "events/samples/retro/marketing-q3.json",
        &(serde_json::to_string_pretty(&team).unwrap() + "\n"),
    );

    // What the report must say, whatever the layout.
    let kr = &retro.key_results[0];
    let targets: Vec<f64> = kr.targets.iter().map(|t| t.target).collect();
    assert_eq!(targets, [48000.0, 46000.0], "original then adjusted target");
    assert_eq!(kr.final_value, Some(46100.0));
    assert_eq!(
        retro
            .changes
            .iter()
            .filter(|c| c.kind == "adjusted")
            .count(),
        1
    );
    assert_eq!(team.hit_rate, Some(0.5));
    assert_eq!(
        team.goals.len(),
        2,
        "the rejected TikTok goal is not reflected on"
    );
}

fn parse_svg(svg: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("the SVG is not well-formed: {e}"))
}

#[tokio::test]
async fn a_chart_is_well_formed_and_shows_every_check_in_the_stepped_target_and_the_adjustment() {
    let (_dir, ledger) = sample().await;
    let retro = report::goal_retro_of(&ledger, &goal_id("web-traffic-q3"))
        .unwrap()
        .unwrap();
    let kr = &retro.key_results[0];
    let svg = chart::key_result(&retro, kr).into_string();
    let doc = parse_svg(&svg);
    let circles: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle") && n.attribute("class") == Some("check-in"))
        .collect();
    assert_eq!(circles.len(), kr.check_ins.len());
    // The legend says what each mark is.
    let legend = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("legend"))
        .expect("a legend");
    let words: String = legend
        .descendants()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ");
    for word in [
        "values",
        "check-ins by health",
        "target",
        "baseline",
        "decision",
    ] {
        assert!(words.contains(word), "{words}");
    }
    let title = circles[0].first_element_child().unwrap().text().unwrap();
    assert!(
        title.contains("40492 visits/month (on-track, confidence 6/10)"),
        "{title}"
    );
    let target = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("target"))
        .unwrap();
    let d = target.attribute("d").unwrap();
    assert_eq!(
        d.matches('M').count() + d.matches('L').count(),
        4,
        "two target levels: {d}"
    );
    let markers: Vec<String> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("marker"))
        .map(|n| n.first_element_child().unwrap().text().unwrap().to_owned())
        .collect();
    assert!(
        markers
            .iter()
            .any(|m| m.contains("adjusted: Paid search budget cut")),
        "{markers:?}"
    );
}

/// Axis labels of a chart with `n` daily check-ins never overlap.
async fn axis_labels_do_not_overlap(n: usize) {
    let (_dir, ledger, clock) = temp_ledger();
    crate::ledger::setup(&ledger).await;
    crate::ledger::adopt(&ledger, "g").await;
    for i in 0..n {
        clock.advance(chrono::Duration::hours(if n > 100 { 10 } else { 24 }));
        run(
            &ledger,
            "sam",
            check_in("g", "visits", 40000.0 + (i * 37 % 9000) as f64),
        )
        .await
        .unwrap();
    }
    let retro = report::goal_retro_of(&ledger, &goal_id("g"))
        .unwrap()
        .unwrap();
    let svg = chart::key_result(&retro, &retro.key_results[0]).into_string();
    let doc = parse_svg(&svg);
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("circle") && n.attribute("class") == Some("check-in"))
            .count(),
        n
    );
    let mut xs: Vec<f64> = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name("text")
                && n.attribute("text-anchor") == Some("middle")
                && n.attribute("transform").is_none()
        })
        .filter(|n| n.text().is_some_and(|t| t.len() <= 6))
        .map(|n| n.attribute("x").unwrap().parse().unwrap())
        .collect();
    xs.sort_by(f64::total_cmp);
    assert!(xs.len() >= 2, "the time axis has labels");
    for w in xs.windows(2) {
        assert!(
            w[1] - w[0] >= 60.0,
            "labels {:.0} and {:.0} overlap ({n} check-ins)",
            w[0],
            w[1]
        );
    }
}

#[tokio::test]
async fn axis_labels_stay_apart_from_one_to_two_hundred_check_ins() {
    for n in [1, 12, 200] {
        axis_labels_do_not_overlap(n).await;
    }
}

#[tokio::test]
async fn hostile_titles_and_notes_are_escaped_in_every_format() {
    let (_dir, ledger, _) = temp_ledger();
    crate::ledger::setup(&ledger).await;
    let hostile = r#"<script>alert("x")</script> & 'quotes' | pipes"#;
    let mut cmd = propose("g", "per-team");
    if let Command::ProposeGoal { draft, .. } = &mut cmd {
        draft.title = hostile.to_owned();
        draft.key_results[0].unit = "<b>u</b>".into();
    }
    run(&ledger, "alice", cmd).await.unwrap();
    for who in ["alice", "amir", "sam", "sofia"] {
        run(&ledger, who, vote("g", goal_ledger::domain::Choice::Agree))
            .await
            .unwrap();
    }
    let note = Command::NotePostMortem {
        goal: goal_id("g"),
        section: goal_ledger::domain::Section::Lesson,
        text: format!("{hostile}\n</ul><img src=x onerror=alert(1)>"),
        owner: None,
        due: None,
    };
    run(&ledger, "alice", note).await.unwrap();
    run(&ledger, "sam", check_in("g", "visits", 41000.0))
        .await
        .unwrap();
    let retro = report::goal_retro_of(&ledger, &goal_id("g"))
        .unwrap()
        .unwrap();
    let view =
        goal_ledger::projections::views::GoalView::from(&ledger.goal(&goal_id("g")).unwrap());
    let timeline = ledger
        .timeline(&goal_ledger::projections::timeline::Filter {
            goal: Some(goal_id("g")),
            ..Default::default()
        })
        .unwrap();
    let charts: Vec<_> = (retro.key_results.iter())
        .map(|kr| chart::key_result(&retro, kr))
        .collect();
    for (format, text) in [
        ("html report", html::goal_retro(&retro).into_string()),
        (
            "goal page",
            markup::goal_page(
                &view,
                (&markup::Family::default(), &markup::Forms::default()),
                (&retro, &charts),
                &timeline,
                Some("/goals/g?before=3&<x>"),
            )
            .into_string(),
        ),
        ("markdown", markdown::goal(&retro)),
        (
            "svg",
            chart::key_result(&retro, &retro.key_results[0]).into_string(),
        ),
    ] {
        // Markdown escapes the Markdown way: a `<` only ever behind a backslash (CommonMark
        // renders `\<` as a plain `<`, never as a tag).
        let text = match format {
            "markdown" => {
                let bare = text
                    .match_indices('<')
                    .any(|(i, _)| !text[..i].ends_with('\\'));
                assert!(!bare, "markdown lets a bare < through:\n{text}");
                assert!(
                    text.contains("\\<script\\>"),
                    "markdown drops the text instead of escaping it"
                );
                continue;
            }
            _ => text,
        };
        assert!(!text.contains("<script>"), "{format} lets <script> through");
        assert!(!text.contains("<img"), "{format} lets <img> through");
        assert!(
            !text.contains("<b>u</b>"),
            "{format} lets markup in a unit through"
        );
        let escaped = if format == "svg" {
            "&lt;b&gt;u&lt;/b&gt;"
        } else {
            "&lt;script&gt;"
        };
        assert!(
            text.contains(escaped),
            "{format} drops the text instead of escaping it"
        );
    }
    assert!(
        markdown::goal(&retro).contains("\\| pipes"),
        "table cells escape pipes"
    );
    parse_svg(&chart::key_result(&retro, &retro.key_results[0]).into_string());
}

#[tokio::test]
async fn pages_and_reports_are_chosen_by_content_negotiation() {
    let app = spawn_app().await;
    app.send(app.post("/goals", Some("alice"), goal_body("web-traffic-q3")))
        .await;
    for who in ["alice", "sam"] {
        app.send(app.post(
            "/goals/web-traffic-q3/votes",
            Some(who),
            json!({"choice": "agree"}),
        ))
        .await;
    }
    app.send(app.post(
        "/goals/web-traffic-q3/check-ins",
        Some("sam"),
        json!({"key_result": "visits", "value": 43000, "health": "at-risk"}),
    ))
    .await;
    let get = |path: &str, accept: &str| {
        app.get(path, Some("reader"))
            .header("accept", accept.to_owned())
            .send()
    };
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for (path, accept, content_type, contains) in [
        (
            "/",
            browser,
            "text/html; charset=utf-8",
            "Increase website traffic",
        ),
        ("/", "*/*", "application/json", "\"goals\""),
        (
            "/goals/web-traffic-q3",
            browser,
            "text/html; charset=utf-8",
            "<svg",
        ),
        (
            "/goals/web-traffic-q3",
            "application/json",
            "application/json",
            "\"key_results\"",
        ),
        (
            "/goals/web-traffic-q3/retro",
            "text/markdown",
            "text/markdown; charset=utf-8",
            "# Retrospective",
        ),
        (
            "/goals/web-traffic-q3/retro",
            browser,
            "text/html; charset=utf-8",
            "<svg",
        ),
        (
            "/goals/web-traffic-q3/retro",
            "*/*",
            "application/json",
            "\"figures\"",
        ),
        (
            "/goals/web-traffic-q3/key-results/visits/chart.svg",
            "*/*",
            "image/svg+xml",
            "<circle",
        ),
        (
            "/teams/sales",
            browser,
            "text/html; charset=utf-8",
            "web-traffic-q3",
        ),
        (
            "/retro?team=sales",
            "text/markdown",
            "text/markdown; charset=utf-8",
            "# Team retrospective: sales",
        ),
    ] {
        let response = get(path, accept).await.unwrap();
        assert_eq!(response.status(), 200, "{path} as {accept}");
        assert_eq!(
            response.headers()["content-type"],
            content_type,
            "{path} as {accept}"
        );
        let body = response.text().await.unwrap();
        assert!(
            body.contains(contains),
            "{path} as {accept}: no {contains:?}"
        );
    }
    // Pages follow the API's auth rules: without a token a browser lands on the sign-in form.
    let signed_out = app
        .client
        .get(format!("{}/", app.url))
        .header("accept", browser)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.url().path(), "/login");
    assert_eq!(signed_out.url().query(), Some("next=%2F"));
}

#[test]
fn headless_chromium_renders_the_goal_page_with_its_chart() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("Chromium is installed (.ci/run installs Debian's chromium)");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = temp_dir();
    let goal = goal_id("web-traffic-q3");
    let (url, server, retro, timeline) = rt.block_on(async {
        let ledger = Ledger::open(dir.path(), Default::default()).unwrap();
        ledger
            .import(
                &golden::path("events/samples/quarterly-goals.jsonl"),
                &mut |_| {},
            )
            .await
            .unwrap();
        // The sample's goal is closed: reopened by agreement, it gets an adjustment proposal
        // still open.
        let reopen = Command::ReopenGoal {
            goal: goal.clone(),
            reason: "Q4 planning starts".to_owned(),
            closes_at: None,
        };
        run(&ledger, "alice", reopen).await.unwrap();
        for who in ["alice", "amir", "sam", "sofia"] {
            run(&ledger, who, vote("web-traffic-q3", Choice::Agree))
                .await
                .unwrap();
        }
        run(
            &ledger,
            "alice",
            retarget("web-traffic-q3", "visits", 47000.0),
        )
        .await
        .unwrap();
        let retro = report::goal_retro_of(&ledger, &goal).unwrap().unwrap();
        let timeline = ledger
            .stream_records(&goal_ledger::domain::StreamId::Goal(goal.clone()), u64::MAX)
            .unwrap()
            .len();
        let config = goal_ledger::server::Config {
            addr: "127.0.0.1:0".parse().unwrap(),
            public_read: true,
            ..Default::default()
        };
        let server = goal_ledger::server::start(ledger, config).await.unwrap();
        (
            format!("http://{}/goals/web-traffic-q3", server.addr),
            server,
            retro,
            timeline,
        )
    });
    let profile = temp_dir();
    let shot = dir.path().join("goal-page.png");
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ];
    let run_chromium = |extra: &[String]| {
        let mut cmd = std::process::Command::new(chromium);
        cmd.args(flags)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(&url);
        let thread_out = std::thread::spawn(move || cmd.output().unwrap());
        let out = thread_out.join().unwrap();
        assert!(
            out.status.success(),
            "chromium {extra:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let dom = run_chromium(&["--dump-dom".into()]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("Increase website traffic by 20%"),
        "the page rendered: {}",
        &dom[..dom.len().min(400)]
    );
    // One chart per key result, each with a point per check-in and a line through the ones
    // no later check-in corrects.
    let charts: Vec<&str> = dom.split("<div class=\"chart\">").skip(1).collect();
    assert_eq!(
        charts.len(),
        retro.key_results.len(),
        "one chart a key result"
    );
    for (chart, kr) in charts.iter().zip(&retro.key_results) {
        let chart = &chart[..chart.find("</svg>").expect("the chart is an SVG")];
        let name = kr.name.as_str();
        assert!(
            chart.starts_with(&format!("<h3>{name}</h3><svg")),
            "{chart:.200}"
        );
        let points = chart.matches("<circle class=\"check-in\"").count();
        assert_eq!(points, kr.check_ins.len(), "the points of {name}");
        let line = kr
            .check_ins
            .iter()
            .filter(|p| !kr.check_ins.iter().any(|q| q.corrects == Some(p.seq)))
            .count();
        let drawn = chart
            .split("<polyline class=\"values\" points=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("{name} has no line: {chart:.300}"));
        assert_eq!(drawn.split_whitespace().count(), line, "the line of {name}");
    }
    assert!(
        retro
            .key_results
            .iter()
            .map(|k| k.check_ins.len())
            .sum::<usize>()
            >= 20,
        "the sample's check-ins are charted"
    );
    // The open proposal, with its reason and the voters still to vote.
    let proposal = dom
        .split("<h2>Open proposal #")
        .nth(1)
        .unwrap_or_else(|| panic!("no open proposal on the page: {dom:.2000}"));
    let proposal = &proposal[..proposal.find("<h2>").unwrap_or(proposal.len())];
    assert!(proposal.contains("(adjustment)"), "{proposal}");
    assert!(proposal.contains("by alice"), "{proposal}");
    assert!(proposal.contains("Budget cut"), "{proposal}");
    assert!(proposal.contains("not yet"), "{proposal}");
    // The timeline: one row for every record of the goal.
    let rows = dom
        .split("<h2>Timeline</h2>")
        .nth(1)
        .expect("the page has a timeline");
    let rows = &rows[..rows.find("</table>").expect("the timeline is a table")];
    assert_eq!(
        rows.matches("<tr>").count() - 1,
        timeline,
        "a timeline row per record of the goal"
    );
    run_chromium(&[
        format!("--screenshot={}", shot.display()),
        "--window-size=1100,1400".into(),
    ]);
    let png = std::fs::read(&shot).expect("a screenshot was written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "a real screenshot ({} bytes)",
        png.len()
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(golden::path("events/samples/retro/goal-page.png"), &png).unwrap();
    }
    rt.block_on(server.shutdown()).unwrap();
}

/// The goal page marks the changes and timeline rows that were local writes (their actor only a
/// claim), and only those; the OS user and host are escaped like any other text.
#[tokio::test]
async fn the_goal_page_marks_local_writes_and_only_them() {
    let app = spawn_app().await;
    app.adopted("web-traffic-q3").await;
    let close = Command::CloseGoal {
        goal: goal_id("web-traffic-q3"),
        terms: goal_ledger::domain::ClosingTerms {
            outcome: goal_ledger::domain::ClosingOutcome::Achieved,
            score: 0.9,
            summary: "closed on the server's disk".into(),
            final_values: Default::default(),
        },
        closes_at: None,
    };
    let auth = goal_ledger::record::Auth::local("<i>root</i>", "ops&co");
    let request = goal_ledger::ledger::Request::new(actor("alice"), auth, close);
    app.ledger.execute(request).await.unwrap();
    // The closing proposal is agreed over HTTP, with tokens.
    app.all_agree("web-traffic-q3", &["alice", "sam"]).await;

    let html = app
        .get("/goals/web-traffic-q3", Some("reader"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let badge =
        r#"<span class="pill local">local write by &lt;i&gt;root&lt;/i&gt;@ops&amp;co</span>"#;
    assert_eq!(
        html.matches(badge).count(),
        2,
        "the closing (proposed locally) in the history and its proposal in the timeline, nothing else: {html}"
    );
    assert_eq!(html.matches("pill local").count(), 2, "{html}");
}

/// The goal page keeps its report between views; a check-in (or any record of the goal) shows
/// on the next view, and a page of the timeline that was seen before still answers.
#[tokio::test]
async fn the_goal_page_shows_a_new_check_in_on_the_next_view() {
    let app = spawn_app().await;
    app.adopted("web-traffic-q3").await;
    let page = || async {
        let request = app.get("/goals/web-traffic-q3", Some("reader"));
        let response = request.header("accept", "text/html").send().await.unwrap();
        response.text().await.unwrap()
    };
    // Given a goal page viewed once (and so kept),
    let before = page().await;
    assert!(!before.contains("visits = 31337"), "{before}");
    assert_eq!(page().await, before, "a second view, nothing changed");
    // when a check-in is recorded,
    let body = serde_json::json!({"key_result": "visits", "value": 31337, "health": "at-risk"});
    let (status, _) =
        (app.send(app.post("/goals/web-traffic-q3/check-ins", Some("alice"), body))).await;
    assert_eq!(status, 201);
    // then the next view has it: in the key results, the chart and the timeline.
    let after = page().await;
    assert!(after.contains("<td class=\"num\">31337</td>"), "{after}");
    assert!(
        after.contains(": 31337 visits/month (at-risk)</title>"),
        "the chart's point: {after}"
    );
    assert!(
        after.contains("alice checked in visits = 31337 (at-risk)"),
        "{after}"
    );
}

#[tokio::test]
async fn a_team_retro_picks_the_goals_whose_period_overlaps_the_range_whenever_they_closed() {
    // Given the sample quarter, whose Q3 goals closed in October (one adjusted to 15 October),
    let (_dir, ledger) = sample().await;
    let goals_in = |since: &str, until: &str| -> Vec<String> {
        let range = (Some(date(since)), Some(date(until)));
        let team = report::team_retro_of(&ledger, &team_id("marketing"), range.0, range.1)
            .unwrap()
            .unwrap();
        team.goals.iter().map(|g| g.goal.to_string()).collect()
    };
    // when marketing's Q3 is reported, both Q3 goals are in it, closed in October or not;
    assert_eq!(
        goals_in("2026-07-01", "2026-09-30"),
        ["qualified-leads-q3", "web-traffic-q3"]
    );
    // Q4 has the one whose period runs into October, and June has none.
    assert_eq!(goals_in("2026-10-01", "2026-12-31"), ["web-traffic-q3"]);
    assert!(goals_in("2026-06-01", "2026-06-30").is_empty());
}

#[tokio::test]
async fn the_pages_link_teams_by_id_show_values_unquoted_and_closed_goals_by_how_they_ended() {
    // Given the sample quarter served with public reads,
    let (_dir, ledger) = sample().await;
    let config = goal_ledger::server::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        public_read: true,
        ..Default::default()
    };
    let server = goal_ledger::server::start(ledger, config).await.unwrap();
    let url = format!("http://{}", server.addr);
    let client = reqwest::Client::new();
    let page = |path: String| {
        let request = client
            .get(format!("{url}{path}"))
            .header("accept", "text/html");
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    // when a browser follows the Customer Service team page's retrospective link,
    let (_, team) = page("/teams/customer-service".into()).await;
    let link = team
        .split("href=\"/retro?")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    assert_eq!(link, "team=customer-service");
    // then it opens the team's report,
    let (status, report) = page(format!("/retro?{link}")).await;
    assert_eq!(status, 200, "{report}");
    // the goal's history reads its values as people write them, not as JSON,
    let (_, retro) = page("/goals/web-traffic-q3/retro".into()).await;
    assert!(retro.contains("status: proposed → active"), "{retro}");
    assert!(!retro.contains("&quot;proposed&quot;"), "{retro}");
    assert!(retro.contains("48000 → 46000"), "{retro}");
    // and a closed goal shows its outcome and score, not its last health.
    let (_, goal) = page("/goals/web-traffic-q3".into()).await;
    let main = goal.split("<main>").nth(1).unwrap();
    let summary = main.split("</p>").next().unwrap();
    assert!(
        summary.contains("achieved") && summary.contains("score 0.9"),
        "{summary}"
    );
    assert!(!summary.contains("on-track"), "{summary}");
    let (_, list) = page("/".into()).await;
    let row = list.split("/goals/web-traffic-q3\"").nth(1).unwrap();
    let row = row.split("</tr>").next().unwrap();
    assert!(
        row.contains("score 0.9") && !row.contains("on-track"),
        "{row}"
    );
    // The list shows each goal's progress and offers the teams as choices, by name.
    assert!(row.contains("<progress max=\"100\" value=\""), "{row}");
    assert!(list.contains("<option value=\"customer-service\">Customer Service</option>"));
    let (_, filtered) = page("/?team=customer-service".into()).await;
    assert!(filtered.contains("<option value=\"customer-service\" selected>"));
    // Each goal shows its cycle: in the list, filtered by it, and on its page with the cycle it
    // was carried out of and its cadence.
    assert!(row.contains("<td>2026-Q3</td>"), "{row}");
    let (_, q4) = page("/?cycle=2026-Q4".into()).await;
    assert!(q4.contains("<option selected>2026-Q4</option>"), "{q4}");
    assert!(q4.contains("/goals/csat-q4\"") && !q4.contains("/goals/web-traffic-q3\""));
    let (_, carried) = page("/goals/enterprise-pipeline-q4".into()).await;
    assert!(
        carried.contains("<p>cycle 2027-Q1 (carried over from 2026-Q4) · check-ins biweekly</p>"),
        "{carried}"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_goal_page_links_its_parent_and_lists_its_children() {
    // Given a company goal and a team goal proposed under it,
    let app = spawn_app().await;
    let mut parent = goal_body("company-growth");
    parent["title"] = json!("Grow revenue <20%>");
    let mut child = goal_body("web-traffic-q3");
    child["parent"] = json!("company-growth");
    for body in [parent, child] {
        let (status, answer) = app.send(app.post("/goals", Some("alice"), body)).await;
        assert_eq!(status, 201, "{answer}");
    }
    let html = |path: &str| {
        let request = app.get(path, Some("reader")).header("accept", "text/html");
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    // when a browser opens each,
    let parent_page = html("/goals/company-growth").await;
    let child_page = html("/goals/web-traffic-q3").await;
    // then the parent lists the child and the child links the parent, its title escaped.
    assert!(
        parent_page.contains("<h2>Children</h2><ul><li><a href=\"/goals/web-traffic-q3\">Increase website traffic</a>"),
        "{parent_page}"
    );
    assert!(
        child_page
            .contains("<p>Part of <a href=\"/goals/company-growth\">Grow revenue &lt;20%&gt;</a>"),
        "{child_page}"
    );
    assert!(!child_page.contains("<h2>Children</h2>"));
    // and the goals list shows the tree: the child indented right under its parent (which
    // sorts after it by id).
    let list = html("/").await;
    let parent_row = list.find("/goals/company-growth\"").unwrap();
    let child_row = list.find("/goals/web-traffic-q3\"").unwrap();
    assert!(parent_row < child_row, "{list}");
    assert!(
        list.contains("<td style=\"padding-left:1.5em\">↳ <a href=\"/goals/web-traffic-q3\">"),
        "{list}"
    );
}

#[tokio::test]
async fn a_goals_progress_weighs_its_checked_in_key_results() {
    // Given the sample's web-traffic goal, with two key results,
    let (_dir, ledger) = sample().await;
    let goal = ledger.goal(&goal_id("web-traffic-q3")).unwrap();
    let mut view = goal_ledger::projections::views::GoalView::from(&goal);
    assert_eq!(view.key_results.len(), 2);
    // when one is at 100% with weight 3 and the other at 20% without a weight (1),
    (view.key_results[0].progress, view.key_results[0].weight) = (Some(1.0), Some(3.0));
    (view.key_results[1].progress, view.key_results[1].weight) = (Some(0.2), None);
    // then the goal is at (3 × 1 + 0.2) / 4 = 80%; one not checked in does not count,
    assert!((view.progress().unwrap() - 0.8).abs() < 1e-9);
    view.key_results[1].progress = None;
    assert_eq!(view.progress(), Some(1.0));
    // and with none checked in there is no progress.
    view.key_results[0].progress = None;
    assert_eq!(view.progress(), None);
}
