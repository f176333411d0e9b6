//! The text a visitor sees, as lines: block elements and `<br>` end a line, inline elements join.
//! Scripts, styles and hidden elements are left out, so honeypot addresses and code never reach
//! the text extractors.

use scraper::{ElementRef, Html, Node};

/// Elements whose content is never visible text.
const INVISIBLE: &[&str] = &["head", "script", "style", "noscript", "template", "svg", "iframe", "object", "select", "textarea"];

/// Elements that start and end a line of text.
#[rustfmt::skip]
const BLOCKS: &[&str] = &[
    "address", "article", "aside", "blockquote", "body", "br", "dd", "details", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
    "table", "td", "th", "tr", "ul", "button", "label", "option",
];

/// The visible text of `doc`, one trimmed, whitespace-collapsed line per block.
pub(super) fn visible_lines(doc: &Html) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    // An explicit stack rather than recursion: a hostile page may nest elements arbitrarily deep.
    // `true` marks the closing visit of a block element.
    let mut stack = vec![(doc.tree.root(), false)];
    while let Some((node, closing)) = stack.pop() {
        match node.value() {
            Node::Text(text) => current.push_str(text),
            Node::Element(el) if is_hidden(el) => {}
            Node::Element(el) if BLOCKS.contains(&el.name()) => {
                flush(&mut current, &mut lines);
                if !closing {
                    stack.push((node, true));
                    stack.extend(node.children().rev().map(|child| (child, false)));
                }
            }
            _ => stack.extend(node.children().rev().map(|child| (child, false))),
        }
    }
    flush(&mut current, &mut lines);
    lines
}

/// Whether an element and everything in it is invisible: not rendered, or hidden on purpose
/// (a common trap for scrapers is a `display:none` address).
fn is_hidden(el: &scraper::node::Element) -> bool {
    if INVISIBLE.contains(&el.name()) || el.attr("hidden").is_some() || el.attr("aria-hidden") == Some("true") {
        return true;
    }
    el.attr("style").is_some_and(|style| {
        let style: String = style.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
        style.contains("display:none") || style.contains("visibility:hidden")
    })
}

fn flush(current: &mut String, lines: &mut Vec<String>) {
    let line = collapse(current);
    if !line.is_empty() {
        lines.push(line);
    }
    current.clear();
}

/// `s` with runs of whitespace (including no-break spaces) collapsed to one space, trimmed.
pub(super) fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The collapsed text of one element, the way [`visible_lines`] would join it but on one line.
pub(super) fn element_text(el: ElementRef<'_>) -> String {
    collapse(&el.text().collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_break_lines_and_inline_elements_join() {
        let doc = Html::parse_document(
            "<html><head><title>T</title></head><body><p>Call <b>us</b>: 030&nbsp;123</p><div>a<br>b</div>\
             <script>var x = 'no@show.de';</script><p style='display: none'>hidden@trap.de</p><span hidden>x</span>\
             <ul><li>one</li><li>two</li></ul></body></html>",
        );
        assert_eq!(visible_lines(&doc), ["Call us: 030 123", "a", "b", "one", "two"]);
    }
}
