//! Small steps on a page, each failing with the selector and the page's URL, so that a missing
//! element reads as "no `#error-age` on http://…/employees/new".

use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

/// How long a navigation or an element may take to appear.
const WAIT: Duration = Duration::from_secs(15);

/// The page: a browser session and the server's base URL.
#[derive(Clone)]
pub struct Page {
    pub client: Client,
    pub base: String,
}

impl Page {
    pub fn new(client: Client, base: &str) -> Page {
        Page {
            client,
            base: base.to_owned(),
        }
    }

    /// Loads `path` of the server.
    pub async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot load {url}: {e}"));
    }

    /// The current URL.
    pub async fn url(&self) -> url::Url {
        self.client.current_url().await.expect("the current URL")
    }

    /// The current URL's path.
    pub async fn path(&self) -> String {
        self.url().await.path().to_owned()
    }

    /// The element `css`, which must be on the page now.
    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!("no `{css}` on {}: {e}", self.url().await),
        }
    }

    /// Whether `css` is on the page.
    pub async fn has(&self, css: &str) -> bool {
        !self.all(css).await.is_empty()
    }

    /// Every element `css`, in document order.
    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("looking for `{css}`: {e}"))
    }

    /// The visible text of `css`.
    pub async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        element
            .text()
            .await
            .unwrap_or_else(|e| panic!("the text of `{css}`: {e}"))
    }

    /// The visible texts of every `css`, in document order.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for element in self.all(css).await {
            texts.push(
                element
                    .text()
                    .await
                    .expect("an element's text")
                    .trim()
                    .to_owned(),
            );
        }
        texts
    }

    /// The current value of the input or select `css`.
    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .unwrap_or_else(|e| panic!("the value of `{css}`: {e}"))
            .unwrap_or_default()
    }

    /// An attribute of `css`.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css)
            .await
            .attr(name)
            .await
            .unwrap_or_else(|e| panic!("the {name} of `{css}`: {e}"))
    }

    /// Replaces what the input `css` holds by typing `text`.
    pub async fn fill(&self, css: &str, text: &str) {
        let input = self.find(css).await;
        input
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clearing `{css}`: {e}"));
        input
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into `{css}`: {e}"));
    }

    /// Sets the value of the input `css` by script, as a date picker would: typing into a
    /// `type=date` input depends on the browser's locale.
    pub async fn set_value(&self, css: &str, value: &str) {
        let input = self.find(css).await;
        let input = serde_json::to_value(&input).expect("an element as JSON");
        self.client
            .execute(
                "arguments[0].value = arguments[1];\
                 arguments[0].dispatchEvent(new Event('input', {bubbles: true}));\
                 arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
                vec![input, json!(value)],
            )
            .await
            .unwrap_or_else(|e| panic!("setting `{css}`: {e}"));
    }

    /// Picks the option of the select `css` whose text is `label`; returns that option's value.
    pub async fn choose(&self, options_css: &str, label: &str) -> String {
        for option in self.all(options_css).await {
            if option.text().await.expect("an option's text").trim() == label {
                let value = option.prop("value").await.expect("an option's value");
                option.click().await.expect("click an option");
                return value.unwrap_or_default();
            }
        }
        panic!(
            "no option `{label}` among `{options_css}` on {}",
            self.url().await
        )
    }

    /// Clicks `css` and waits until the page it leads to has loaded (a form's submit, a link):
    /// the old page is marked, and the wait ends when a loaded page without the mark is there.
    pub async fn click_and_wait(&self, css: &str) {
        self.script("window.__browserTestOldPage = true;").await;
        let element = self.find(css).await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking `{css}`: {e}"));
        let started = Instant::now();
        loop {
            let loaded = self
                .client
                .execute(
                    "return window.__browserTestOldPage === undefined \
                     && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            if matches!(loaded, Ok(Value::Bool(true))) {
                return;
            }
            assert!(
                started.elapsed() < WAIT,
                "clicking `{css}` on {} led to no new page within {WAIT:?}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs `script` in the page; its `return` value.
    pub async fn script(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("running `{script}`: {e}"))
    }

    /// Asserts the page has the menu, with a link to each of the main pages.
    pub async fn assert_menu(&self) {
        let menu = self.find(super::contract::MENU).await;
        let mut targets = Vec::new();
        for link in menu
            .find_all(Locator::Css("a"))
            .await
            .expect("the menu's links")
        {
            targets.push(link.attr("href").await.expect("href").unwrap_or_default());
        }
        for wanted in super::contract::MENU_TARGETS {
            assert!(
                targets.iter().any(|href| href.contains(wanted)),
                "the menu on {} has no link to {wanted}: {targets:?}",
                self.url().await
            );
        }
    }
}

impl Page {
    /// Clicks the element among `css` whose text is `text` (a link of a filter bar, a sorting
    /// header), and waits for the page it leads to. The element is marked by script first, so
    /// that the click is `click_and_wait`'s.
    pub async fn click_text_and_wait(&self, css: &str, text: &str) {
        let mut found = None;
        for element in self.all(css).await {
            if element.text().await.expect("an element's text").trim() == text {
                found = Some(element);
                break;
            }
        }
        let Some(element) = found else {
            panic!("no `{text}` among `{css}` on {}", self.url().await)
        };
        let element = serde_json::to_value(&element).expect("an element as JSON");
        self.client
            .execute(
                "arguments[0].setAttribute('data-browser-test-target', '');",
                vec![element],
            )
            .await
            .unwrap_or_else(|e| panic!("marking `{text}`: {e}"));
        self.click_and_wait("[data-browser-test-target]").await;
    }
}
