//! Signing in from a browser on a server without public reads: a page redirects to the sign-in
//! form while an API client gets 401; a token signs in into an `HttpOnly`, `SameSite=Strict`
//! session cookie (the token is not in it); the session reads and writes as its token (on the
//! record: `via: token`); a revoked token ends its sessions; signing out needs the session's
//! CSRF token and a form from this server; errors are pages for browsers.

use super::*;

/// A client that does not follow redirects, so that they can be checked.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

const HTML: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

/// Posts the sign-in form with `token`, from this server's origin.
async fn sign_in(app: &App, token: &str, next: &str) -> reqwest::Response {
    browser()
        .post(format!("{}/login", app.url))
        .header("origin", &app.url)
        .form(&[("token", token), ("next", next)])
        .send()
        .await
        .unwrap()
}

/// The session cookie's `name=value` from a sign-in's answer.
fn session_cookie(response: &reqwest::Response) -> String {
    let set = response.headers()["set-cookie"].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

async fn get_page(app: &App, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = browser()
        .get(format!("{}{path}", app.url))
        .header("accept", HTML);
    if let Some(c) = cookie {
        request = request.header("cookie", c);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_browser_signs_in_reads_and_writes_as_its_token_and_a_revocation_signs_it_out() {
    let app = spawn_app().await;
    // Given a server without public reads, a browser is sent to the sign-in form
    let page = get_page(&app, "/teams/sales?x=1", None).await;
    assert_eq!(page.status(), 303);
    assert_eq!(
        page.headers()["location"],
        "/login?next=%2Fteams%2Fsales%3Fx%3D1"
    );
    // while an API client gets its 401 problem
    let (status, problem) = app.send(app.get("/teams/sales", None)).await;
    assert_eq!(status, 401);
    assert_eq!(problem["status"], 401);
    let form = get_page(&app, "/login?next=/teams/sales", None).await;
    assert_eq!(form.status(), 200);
    let form = form.text().await.unwrap();
    assert!(
        form.contains("name=\"token\"") && form.contains("value=\"/teams/sales\""),
        "{form}"
    );

    // A wrong token is refused with the form again, and no cookie; a form from elsewhere too.
    let before = app.ledger.digest();
    let wrong = sign_in(&app, "not-a-token", "/teams/sales").await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("unknown, revoked or expired"));
    let elsewhere = browser()
        .post(format!("{}/login", app.url))
        .header("origin", "https://evil.example")
        .form(&[("token", app.tokens["alice"].as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 403);
    assert!(elsewhere.headers().get("set-cookie").is_none());
    assert_eq!(app.ledger.digest(), before, "signing in appends nothing");

    // When alice signs in, she is sent where she was going with a session cookie,
    let signed = sign_in(&app, &app.tokens["alice"], "/teams/sales").await;
    assert_eq!(signed.status(), 303);
    assert_eq!(signed.headers()["location"], "/teams/sales");
    let set = signed.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attribute), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: {set}");
    assert!(
        !set.contains(&app.tokens["alice"]),
        "the token is not in the cookie"
    );
    let cookie = session_cookie(&signed);
    // which opens the pages
    let team = get_page(&app, "/teams/sales", Some(&cookie)).await;
    assert_eq!(team.status(), 200);
    assert!(team.text().await.unwrap().contains("<h1>Sales"));
    // and writes as her token: the record's actor and auth are the token's
    let write = browser()
        .post(format!("{}/goals", app.url))
        .header("cookie", &cookie)
        .json(&goal_body("web-traffic-q3"))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 201);
    let (_, records) = app
        .send(app.get("/events?after=0&limit=1000", Some("reader")))
        .await;
    let last = records["records"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["actor"], "alice");
    assert_eq!(last["auth"]["via"], "token");
    assert_eq!(
        last["auth"]["token"],
        goal_ledger::domain::TokenHash::of(&app.tokens["alice"]).fingerprint()
    );
    // A browser's error is a page, with the status and the sentence.
    let missing = get_page(&app, "/goals/nope", Some(&cookie)).await;
    assert_eq!(missing.status(), 404);
    assert!(missing.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(missing
        .text()
        .await
        .unwrap()
        .contains("there is no goal `nope`"));

    // When an admin revokes alice's token, her session ends with it.
    let (_, tokens) = app.send(app.get("/tokens", Some("admin"))).await;
    let fingerprint = tokens["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["actor"] == "alice")
        .unwrap()["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = app
        .send(app.post(
            &format!("/tokens/{fingerprint}/revoke"),
            Some("admin"),
            json!({"reason": "Left the company"}),
        ))
        .await;
    assert_eq!(status, 201);
    let after = get_page(&app, "/teams/sales", Some(&cookie)).await;
    assert_eq!(after.status(), 303);
    assert_eq!(after.headers()["location"], "/login?next=%2Fteams%2Fsales");
}

#[tokio::test]
async fn signing_out_needs_the_sessions_csrf_token_and_a_form_from_this_server() {
    let app = spawn_app().await;
    let signed = sign_in(&app, &app.tokens["sam"], "/").await;
    let cookie = session_cookie(&signed);
    let shown = get_page(&app, "/login", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(shown.contains("as sam (member)"), "{shown}");
    let csrf = shown
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let sign_out = |origin: &'static str, csrf: String| {
        let cookie = cookie.clone();
        let url = app.url.clone();
        async move {
            let origin = if origin.is_empty() {
                url.clone()
            } else {
                origin.to_owned()
            };
            browser()
                .post(format!("{url}/logout"))
                .header("cookie", cookie)
                .header("origin", origin)
                .form(&[("csrf", csrf)])
                .send()
                .await
                .unwrap()
        }
    };
    // A missing or another session's CSRF token, or a form from elsewhere, is refused
    assert_eq!(sign_out("", "0".repeat(64)).await.status(), 403);
    assert_eq!(sign_out("", String::new()).await.status(), 403);
    assert_eq!(
        sign_out("https://evil.example", csrf.clone())
            .await
            .status(),
        403
    );
    assert_eq!(
        get_page(&app, "/", Some(&cookie)).await.status(),
        200,
        "still signed in"
    );
    // and the real one signs out, clearing the cookie.
    let out = sign_out("", csrf).await;
    assert_eq!(out.status(), 303);
    assert_eq!(out.headers()["location"], "/login");
    assert!(out.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(get_page(&app, "/", Some(&cookie)).await.status(), 303);
}

#[tokio::test]
async fn my_work_shows_votes_check_ins_action_items_and_what_changed_since_the_last_visit() {
    let app = spawn_app().await;
    assert_eq!(
        get_page(&app, "/me", None).await.status(),
        303,
        "signed out: to the form"
    );
    let cookie = session_cookie(&sign_in(&app, &app.tokens["alice"], "/me").await);
    let my_work = || async {
        get_page(&app, "/me", Some(&cookie))
            .await
            .text()
            .await
            .unwrap()
    };
    // Given sam proposes a goal of alice's team after she signed in,
    let (status, _) = app
        .send(app.post("/goals", Some("sam"), goal_body("web-traffic-q3")))
        .await;
    assert_eq!(status, 201);
    // her work shows the vote it waits for and the change since her visit,
    let page = my_work().await;
    let section = |name: &str| {
        page.split(&format!("<h2>{name}</h2>"))
            .nth(1)
            .and_then(|s| s.split("</ul>").next())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        section("Waiting for your vote")
            .contains("/goals/web-traffic-q3\">Increase website traffic</a>"),
        "{page}"
    );
    assert!(section("Waiting for your vote").contains("proposal #1 (adoption)"));
    assert!(
        section("Since your last visit").contains("sam proposed web-traffic-q3"),
        "{page}"
    );
    // and on her next visit that change is no longer new.
    assert!(my_work()
        .await
        .contains("Nothing changed on your teams' goals."));

    // When the goal is adopted (its start long past, no check-in) and sam gives her an
    // action item, her work lists the overdue key result and the item.
    app.all_agree("web-traffic-q3", &["alice", "sam"]).await;
    let note = json!({"section": "action-item", "text": "Share <budget> changes", "owner": "alice", "due": "2026-10-31"});
    let (status, _) = app
        .send(app.post("/goals/web-traffic-q3/notes", Some("sam"), note))
        .await;
    assert_eq!(status, 201);
    let page = my_work().await;
    assert!(page.contains("Nothing waits for your vote."), "{page}");
    let due = page.split("<h2>Check-ins due</h2>").nth(1).unwrap();
    assert!(due.contains("overdue") && due.contains("visits"), "{page}");
    assert!(
        page.contains("Share &lt;budget&gt; changes"),
        "hostile text is escaped: {page}"
    );
}

/// Posts a goal-page form to `path` with `fields`, from this server, with `cookie`.
async fn post_form(
    app: &App,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    browser()
        .post(format!("{}{path}", app.url))
        .header("cookie", cookie)
        .header("origin", &app.url)
        .header("accept", HTML)
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// The session's CSRF token, from the page at `path`.
async fn csrf_of(app: &App, path: &str, cookie: &str) -> String {
    let page = get_page(app, path, Some(cookie))
        .await
        .text()
        .await
        .unwrap();
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no CSRF token on {path}: {page}"))
        .to_owned()
}

#[tokio::test]
async fn the_goal_page_forms_vote_and_check_in_and_a_refusal_keeps_the_input_and_appends_nothing() {
    let app = spawn_app().await;
    let (status, _) = app
        .send(app.post("/goals", Some("sam"), goal_body("web-traffic-q3")))
        .await;
    assert_eq!(status, 201);
    let cookie = session_cookie(&sign_in(&app, &app.tokens["alice"], "/").await);
    let goal = "/goals/web-traffic-q3";
    let csrf = csrf_of(&app, goal, &cookie).await;

    // A block without a reason is refused: the page again, the choice kept, nothing appended.
    let before = app.ledger.digest();
    let vote = format!("{goal}/vote-form");
    let refused = post_form(
        &app,
        &vote,
        &cookie,
        &[("csrf", &csrf), ("choice", "block")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Not recorded: a block needs a reason"),
        "{page}"
    );
    assert!(page.contains("<option selected>block</option>"), "{page}");
    assert_eq!(app.ledger.digest(), before);
    // So is a form without the session's CSRF token, or with another session's.
    let sams = session_cookie(&sign_in(&app, &app.tokens["sam"], "/").await);
    let sams_csrf = csrf_of(&app, goal, &sams).await;
    for token in ["", sams_csrf.as_str()] {
        let forged = post_form(
            &app,
            &vote,
            &cookie,
            &[("csrf", token), ("choice", "agree")],
        )
        .await;
        assert_eq!(forged.status(), 403);
    }
    assert_eq!(app.ledger.digest(), before);

    // An agree is recorded as alice's, and the page says so once.
    let voted = post_form(
        &app,
        &vote,
        &cookie,
        &[
            ("csrf", &csrf),
            ("choice", "agree"),
            ("reason", "Marketing can deliver"),
        ],
    )
    .await;
    assert_eq!(voted.status(), 303);
    assert_eq!(voted.headers()["location"], goal);
    let page = get_page(&app, goal, Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Your vote (agree) is recorded."), "{page}");
    assert!(!get_page(&app, goal, Some(&cookie))
        .await
        .text()
        .await
        .unwrap()
        .contains("is recorded."));
    let sams_vote = post_form(
        &app,
        &vote,
        &sams,
        &[("csrf", &sams_csrf), ("choice", "agree")],
    )
    .await;
    assert_eq!(sams_vote.status(), 303, "sam's agree adopts it");

    // Check-ins: a value that is no number is refused with what was typed kept,
    let check_in = format!("{goal}/check-in-form");
    let typo = [
        ("csrf", csrf.as_str()),
        ("key_result", "visits"),
        ("value", "4l000"),
        ("health", "on-track"),
        ("note", "<script>alert(1)</script>"),
    ];
    let refused = post_form(&app, &check_in, &cookie, &typo).await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("value=\"4l000\"") && page.contains("is not a number"),
        "{page}"
    );
    assert!(
        page.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""),
        "escaped: {page}"
    );
    // a mistyped one is recorded, and its correction names it.
    for (value, corrects) in [("71", ""), ("7.1", "LAST")] {
        let corrects = if corrects == "LAST" {
            app.ledger.digest().seq.to_string()
        } else {
            String::new()
        };
        let form = [
            ("csrf", csrf.as_str()),
            ("key_result", "visits"),
            ("value", value),
            ("health", "on-track"),
            ("corrects", corrects.as_str()),
        ];
        let done = post_form(&app, &check_in, &cookie, &form).await;
        assert_eq!(done.status(), 303, "{value}");
    }
    let page = get_page(&app, goal, Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Your correction of"), "{page}");
    let (_, shown) = app.send(app.get(goal, Some("reader"))).await;
    assert_eq!(shown["key_results"][0]["current"], 7.1);
    let (_, timeline) = app
        .send(app.get(&format!("{goal}/timeline"), Some("reader")))
        .await;
    let entries = timeline["entries"].as_array().unwrap();
    let last = entries.last().unwrap()["summary"].as_str().unwrap();
    assert!(
        last.contains("alice checked in visits = 7.1") && last.contains("(corrects #"),
        "{last}"
    );
}

#[tokio::test]
async fn post_mortem_forms_write_a_note_and_resolve_its_action_item() {
    let app = spawn_app().await;
    app.adopted("web-traffic-q3").await;
    let cookie = session_cookie(&sign_in(&app, &app.tokens["alice"], "/").await);
    let goal = "/goals/web-traffic-q3";
    let csrf = csrf_of(&app, goal, &cookie).await;
    let note = [
        ("csrf", csrf.as_str()),
        ("section", "action-item"),
        ("text", "Share <budget> changes"),
        ("owner", "amir"),
        ("due", "2026-10-31"),
    ];
    let written = post_form(&app, &format!("{goal}/note-form"), &cookie, &note).await;
    assert_eq!(written.status(), 303);
    let page = get_page(&app, goal, Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Your action-item note is recorded."),
        "{page}"
    );
    assert!(page.contains("Share &lt;budget&gt; changes"), "{page}");
    // Dropping it without saying why is refused, the form kept, nothing appended,
    let before = app.ledger.digest();
    let resolve = format!("{goal}/resolve-form");
    let dropped = [
        ("csrf", csrf.as_str()),
        ("item", "1"),
        ("status", "dropped"),
    ];
    let refused = post_form(&app, &resolve, &cookie, &dropped).await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("Not recorded:"), "{page}");
    assert!(page.contains("<option selected>dropped</option>"), "{page}");
    assert_eq!(app.ledger.digest(), before);
    // and marking it done is recorded.
    let done = [
        ("csrf", csrf.as_str()),
        ("item", "1"),
        ("status", "done"),
        ("note", "Monthly slide"),
    ];
    assert_eq!(
        post_form(&app, &resolve, &cookie, &done).await.status(),
        303
    );
    let (_, shown) = app.send(app.get(goal, Some("reader"))).await;
    assert_eq!(shown["action_items"][0]["status"], "done");
}

#[tokio::test]
async fn an_owner_proposes_an_adjustment_and_a_closing_from_the_goal_page() {
    let app = spawn_app().await;
    app.adopted("web-traffic-q3").await;
    let cookie = session_cookie(&sign_in(&app, &app.tokens["alice"], "/").await);
    let goal = "/goals/web-traffic-q3";
    let page = get_page(&app, goal, Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("visits target 48000 → <input name=\"target:visits\""),
        "{page}"
    );
    let csrf = csrf_of(&app, goal, &cookie).await;
    let adjust = format!("{goal}/adjust-form");
    let fields = [
        ("csrf", csrf.as_str()),
        ("target:visits", "46000"),
        ("due", "2026-10-15"),
        ("reason", "Paid search budget cut"),
    ];
    assert_eq!(
        post_form(&app, &adjust, &cookie, &fields).await.status(),
        303
    );
    let page = get_page(&app, goal, Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Your adjustment is proposed"), "{page}");
    assert!(page.contains("Open proposal #2 (adjustment)"), "{page}");
    app.all_agree("web-traffic-q3", &["alice", "sam"]).await;
    let (_, shown) = app.send(app.get(goal, Some("reader"))).await;
    assert_eq!(shown["key_results"][0]["target"], 46000.0);
    assert_eq!(shown["due"], "2026-10-15");
    // A closing with a score that is no number is refused with the form kept,
    let close = format!("{goal}/close-form");
    let before = app.ledger.digest();
    let bad = [
        ("csrf", csrf.as_str()),
        ("outcome", "achieved"),
        ("score", "high"),
        ("summary", "Done"),
    ];
    let refused = post_form(&app, &close, &cookie, &bad).await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("score: \"high\"") || page.contains("score: &quot;high&quot;"),
        "{page}"
    );
    assert!(page.contains("value=\"high\""), "{page}");
    assert_eq!(app.ledger.digest(), before);
    // and a good one is proposed, then closes the goal once the teams agree.
    let good = [
        ("csrf", csrf.as_str()),
        ("outcome", "achieved"),
        ("score", "0.9"),
        ("summary", "46.1k visits"),
    ];
    assert_eq!(post_form(&app, &close, &cookie, &good).await.status(), 303);
    app.all_agree("web-traffic-q3", &["alice", "sam"]).await;
    let (_, shown) = app.send(app.get(goal, Some("reader"))).await;
    assert_eq!(shown["status"], "closed");
    assert_eq!(shown["outcome"], "achieved");
}

#[tokio::test]
async fn a_member_proposes_a_goal_from_the_browser_and_a_refusal_keeps_the_form() {
    let app = spawn_app().await;
    let cookie = session_cookie(&sign_in(&app, &app.tokens["alice"], "/").await);
    let form = get_page(&app, "/propose", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("name=\"team\" value=\"customer-service\"> Customer Service"),
        "{form}"
    );
    assert!(
        form.contains("<strong>per-team</strong>: every owning team signs off"),
        "{form}"
    );
    let csrf = csrf_of(&app, "/propose", &cookie).await;
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("id", "leads-q4"),
        ("title", "Hand sales <more> leads"),
        ("kr1_name", "mql"),
        ("kr1_baseline", "300"),
        ("kr1_target", "420"),
        ("kr1_unit", "leads/month"),
        ("start", "2026-10-01"),
        ("due", "2026-12-31"),
        ("cadence", "biweekly"),
        ("rule", "majority"),
        ("reason", "Q3 was partial"),
    ];
    // Without an owning team it is refused, the typed title kept (escaped), nothing appended.
    let before = app.ledger.digest();
    let refused = post_form(&app, "/propose", &cookie, &fields).await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("a goal needs at least one owning team"),
        "{page}"
    );
    assert!(
        page.contains("value=\"Hand sales &lt;more&gt; leads\""),
        "{page}"
    );
    assert_eq!(app.ledger.digest(), before);
    // With marketing and sales it is proposed, and the browser goes to its page.
    fields.extend([("team", "marketing"), ("team", "sales")]);
    let proposed = post_form(&app, "/propose", &cookie, &fields).await;
    assert_eq!(proposed.status(), 303);
    assert_eq!(proposed.headers()["location"], "/goals/leads-q4");
    let (_, shown) = app.send(app.get("/goals/leads-q4", Some("reader"))).await;
    assert_eq!(shown["status"], "proposed");
    assert_eq!(shown["cadence"], "biweekly");
    assert_eq!(shown["teams"], json!(["marketing", "sales"]));
    assert_eq!(shown["proposed_by"], "alice");
}
