//! The web app end to end in a real headless Chromium, driven through WebDriver (Debian's
//! `chromium` and `chromium-driver`, which `tests/run.sh` installs) against the real server:
//! alice signs in with her token and proposes a goal, votes; amir signs in and votes, checks in
//! a typo and corrects it (the chart draws the correction only), proposes closing it and both
//! agree; alice writes an action item and amir resolves it; signing out. The same forms posted
//! without the session's CSRF token, or with another session's, are refused with nothing
//! appended. Screenshots of the goals list, the goal page and "My work" go to
//! `events/samples/`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::*;

/// The W3C WebDriver element key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A WebDriver session in a headless Chromium, with its chromedriver, ended on drop.
struct Browser {
    driver: std::process::Child,
    url: String,
    session: String,
    http: reqwest::blocking::Client,
}

impl Browser {
    fn start() -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = std::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromedriver runs (tests/run.sh installs chromium-driver)");
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::blocking::Client::new();
        for _ in 0..100 {
            if http.get(format!("{url}/status")).send().is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = temp_dir();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--window-size=1280,1400",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let answer: Value = http
            .post(format!("{url}/session"))
            .json(&capabilities)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {answer}"))
            .to_owned();
        std::mem::forget(profile);
        Browser {
            driver,
            url,
            session,
            http,
        }
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.url, self.session);
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().unwrap().json().unwrap();
        assert!(answer["value"].get("error").is_none(), "{path}: {answer}");
        answer["value"].clone()
    }

    fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })));
    }

    fn element(&self, css: &str) -> String {
        let found = self.call(
            reqwest::Method::POST,
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}\n{}", self.source()))
            .to_owned()
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn click(&self, css: &str) {
        let id = self.element(css);
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        );
    }

    /// Sets a form field the way a date picker or a select would.
    fn set(&self, css: &str, value: &str) {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({
                "script": "document.querySelector(arguments[0]).value = arguments[1];",
                "args": [css, value]
            })),
        );
    }

    fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None)
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Waits (at most 10 s) until the page holds `text`; answers the page.
    fn until(&self, text: &str) -> String {
        for _ in 0..100 {
            let source = self.source();
            if source.contains(text) {
                return source;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the page never showed {text:?}:\n{}", self.source());
    }

    fn screenshot(&self, to: &str) {
        use base64::Engine;
        let png = self.call(reqwest::Method::GET, "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(crate::golden::path(to), bytes).unwrap();
    }

    fn sign_in(&self, server: &str, token: &str) {
        self.go(&format!("{server}/login"));
        self.type_into("input[name=token]", token);
        self.click("form[action='/login'] button");
        self.until("<h1>Goals</h1>");
    }

    fn sign_out(&self, server: &str) {
        self.go(&format!("{server}/login"));
        self.click("form[action='/logout'] button");
        self.until("<h1>Sign in</h1>");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.url, self.session))
            .send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[test]
fn a_goal_goes_through_its_cycle_in_a_real_browser_and_forged_forms_append_nothing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(spawn_app());
    // amir needs a token of his own to sign in with.
    let (_, created) = rt.block_on(app.send(app.post(
        "/tokens",
        Some("admin"),
        json!({"actor": "amir", "role": "member"}),
    )));
    let amir = created["token"].as_str().unwrap().to_owned();
    let server = app.url.clone();
    let browser = Browser::start();

    // alice signs in and proposes a goal for marketing, decided unanimously,
    browser.sign_in(&server, &app.tokens["alice"]);
    browser.go(&format!("{server}/propose"));
    browser.type_into("input[name=id]", "newsletter-q4");
    browser.type_into("input[name=title]", "Grow the newsletter");
    browser.click("input[name=team][value=marketing]");
    browser.type_into("input[name=kr1_name]", "subscribers");
    browser.type_into("input[name=kr1_baseline]", "1000");
    browser.type_into("input[name=kr1_target]", "1500");
    browser.set("input[name=start]", "2026-07-01");
    browser.set("input[name=due]", "2030-12-31");
    browser.click("input[name=rule][value=unanimous]");
    browser.type_into("input[name=reason]", "Owned audience");
    browser.click("form[action='/propose'] button");
    browser.until("newsletter-q4 is proposed");
    // and votes for it on its page.
    browser.click("form[action$='/vote-form'] button");
    browser.until("Your vote (agree) is recorded.");
    browser.sign_out(&server);

    // amir signs in, agrees (adopting it), checks in a typo and corrects it,
    browser.sign_in(&server, &amir);
    let goal = format!("{server}/goals/newsletter-q4");
    browser.go(&goal);
    browser.click("form[action$='/vote-form'] button");
    browser.until("Your vote (agree) is recorded.");
    browser.type_into("form[action$='/check-in-form'] input[name=value]", "12000");
    browser.click("form[action$='/check-in-form'] button");
    browser.until("Your check-in of subscribers = 12000 is recorded.");
    let typo = app.ledger.digest().seq.to_string();
    browser.type_into("form[action$='/check-in-form'] input[name=value]", "1200");
    browser.type_into("form[action$='/check-in-form'] input[name=corrects]", &typo);
    browser.click("form[action$='/check-in-form'] button");
    browser.until("Your correction of");
    // the chart draws the correction, not the typo,
    let chart = reqwest::blocking::Client::new()
        .get(format!("{goal}/key-results/subscribers/chart.svg"))
        .bearer_auth(&app.tokens["reader"])
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        chart.contains("1200") && !chart.contains("12000"),
        "{chart}"
    );
    // he proposes closing it and agrees; alice agrees too.
    browser.set(
        "form[action$='/close-form'] select[name=outcome]",
        "achieved",
    );
    browser.type_into("form[action$='/close-form'] input[name=score]", "0.8");
    browser.type_into(
        "form[action$='/close-form'] input[name=summary]",
        "1,200 subscribers",
    );
    browser.click("form[action$='/close-form'] button");
    browser.until("Your closing is proposed");
    browser.click("form[action$='/vote-form'] button");
    browser.until("Your vote (agree) is recorded.");
    browser.sign_out(&server);
    browser.sign_in(&server, &app.tokens["alice"]);
    browser.go(&goal);
    browser.click("form[action$='/vote-form'] button");
    browser.until("Closed achieved");

    // alice writes an action item for amir; amir marks it done.
    browser.set(
        "form[action$='/note-form'] select[name=section]",
        "action-item",
    );
    browser.type_into(
        "form[action$='/note-form'] input[name=text]",
        "Set up a welcome series",
    );
    browser.type_into("form[action$='/note-form'] input[name=owner]", "amir");
    browser.set("form[action$='/note-form'] input[name=due]", "2030-01-31");
    browser.click("form[action$='/note-form'] button");
    browser.until("Your action-item note is recorded.");
    browser.sign_out(&server);
    browser.sign_in(&server, &amir);
    browser.go(&format!("{server}/me"));
    browser.until("Set up a welcome series");
    browser.screenshot("events/samples/my-work.png");
    browser.go(&goal);
    browser.type_into(
        "form[action$='/resolve-form'] input[name=note]",
        "Three emails live",
    );
    browser.click("form[action$='/resolve-form'] button");
    browser.until("Action item #1 is marked done.");
    browser.screenshot("events/samples/goal-page-forms.png");
    browser.go(&format!("{server}/"));
    browser.until("newsletter-q4");
    browser.screenshot("events/samples/goals-list.png");

    // The same forms without the session's CSRF token, or with another session's, append
    // nothing: the browser's own forms, with the token field emptied or replaced.
    let before = app.ledger.digest();
    browser.go(&goal);
    let alices_csrf = {
        let other = Browser::start();
        other.sign_in(&server, &app.tokens["alice"]);
        other.go(&goal);
        let page = other.source();
        page.split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_owned()
    };
    for forged in ["", alices_csrf.as_str()] {
        browser.go(&goal);
        browser.set("form[action$='/note-form'] input[name=csrf]", forged);
        browser.type_into("form[action$='/note-form'] input[name=text]", "Forged");
        browser.click("form[action$='/note-form'] button");
        browser.until("the form did not come from this session");
    }
    assert_eq!(app.ledger.digest(), before, "forged forms appended nothing");
    browser.sign_out(&server);
    let (_, shown) = rt.block_on(app.send(app.get("/goals/newsletter-q4", Some("reader"))));
    assert_eq!(shown["status"], "closed");
    assert_eq!(shown["key_results"][0]["current"], 1200.0);
    assert_eq!(shown["action_items"][0]["status"], "done");
}
