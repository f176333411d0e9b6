//! Regexes with Unicode word boundaries (`\b`), behind a cheap gate. The regex crate's fast lazy
//! DFA cannot evaluate a Unicode `\b` next to non-ASCII text, which is nearly every line of a
//! German or French page (an "ß", an "é", an en dash), so it falls back to a backtracking engine
//! over the whole line. Dropping `\b` from a pattern only widens what it matches, so the pattern
//! without it is a sound pre-check the DFA can run: when it fails, the real pattern cannot match,
//! and the slow engine runs only on the few lines that might.

use regex::Regex;

/// A pattern and its `\b`-free gate.
pub(super) struct Gated {
    gate: Regex,
    full: Regex,
}

impl Gated {
    /// Compiles `pattern` and its gate; panics on an invalid pattern, like `Regex::new(..).unwrap()`.
    pub(super) fn new(pattern: &str) -> Self {
        Gated { gate: Regex::new(&pattern.replace(r"\b", "")).unwrap(), full: Regex::new(pattern).unwrap() }
    }

    /// The full pattern, when `text` passes the gate (it may still not match).
    pub(super) fn candidate(&self, text: &str) -> Option<&Regex> {
        self.gate.is_match(text).then_some(&self.full)
    }

    /// Whether the full pattern matches `text`.
    pub(super) fn is_match(&self, text: &str) -> bool {
        self.candidate(text).is_some_and(|full| full.is_match(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_rejects_only_what_cannot_match() {
        let word = Gated::new(r"(?i)\bseed\b");
        assert!(word.is_match("Unsere Seed-Finanzierung über 3 Mio. €"));
        assert!(!word.is_match("Seedling Straße"), "the gate passes, the boundary does not");
        assert!(word.candidate("Seedling Straße").is_some());
        assert!(word.candidate("Série A à Paris").is_none());
    }
}
