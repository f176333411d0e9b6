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
#[cfg(test)]
pub(super) fn visible_lines(doc: &Html) -> Vec<String> {
    visible_lines_with_blocks(doc).0
}

/// [`visible_lines`], each line with the innermost block element its text starts in (`None` for
/// text outside any block), so a line can be placed back in the page (inside a testimonial, a card).
pub(super) fn visible_lines_with_blocks(doc: &Html) -> (Vec<String>, Vec<Option<ElementRef<'_>>>) {
    let mut lines = Vec::new();
    let mut owners = Vec::new();
    let mut current = String::new();
    let mut owner: Option<ElementRef<'_>> = None;
    let mut open: Vec<ElementRef<'_>> = Vec::new();
    // An explicit stack rather than recursion: a hostile page may nest elements arbitrarily deep.
    // `true` marks the closing visit of a block element.
    let mut stack = vec![(doc.tree.root(), false)];
    while let Some((node, closing)) = stack.pop() {
        match node.value() {
            Node::Text(text) => {
                if owner.is_none() && !text.trim().is_empty() {
                    owner = open.last().copied();
                }
                current.push_str(text)
            }
            Node::Element(el) if is_hidden(el) => {}
            Node::Element(el) if BLOCKS.contains(&el.name()) => {
                if flush(&mut current, &mut lines) {
                    owners.push(owner);
                }
                owner = None;
                if closing {
                    open.pop();
                } else {
                    open.extend(ElementRef::wrap(node));
                    stack.push((node, true));
                    stack.extend(node.children().rev().map(|child| (child, false)));
                }
            }
            _ => stack.extend(node.children().rev().map(|child| (child, false))),
        }
    }
    if flush(&mut current, &mut lines) {
        owners.push(owner);
    }
    (lines, owners)
}

/// Whether `el` or one of its ancestors is hidden (see [`is_hidden`]).
pub(super) fn hidden_within(el: ElementRef<'_>) -> bool {
    std::iter::once(el).chain(el.ancestors().filter_map(ElementRef::wrap)).any(|e| is_hidden(e.value()))
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

/// Ends the current line; whether it held text (and so became a line).
fn flush(current: &mut String, lines: &mut Vec<String>) -> bool {
    let line = collapse(current);
    current.clear();
    let pushed = !line.is_empty();
    if pushed {
        lines.push(line);
    }
    pushed
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
