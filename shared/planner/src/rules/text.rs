//! Turning a message into tokens the readers can match phrases against.
//!
//! Text is lowercased and stripped of accents ("Geschäftsführer" → "geschaftsfuhrer", "santé" →
//! "sante") so the vocabulary can be written once in plain ASCII. Hyphens and apostrophes inside
//! words split them ("dev-tools" → "dev tools", "d'ingénieurs" → "d ingenieurs"), while a hyphen or
//! dash next to a number stays a symbol, because "500–5000" is a range. Each token remembers
//! whether a reader has already claimed it, so one word is never read twice.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Letters, possibly with digits ("fintech", "b2b", "k8s").
    Word,
    /// Digits with an optional thousands separator, decimal part and `k`/`m` suffix ("5000", "1.5k").
    Number,
    /// One of `+ - > < >= <= = , / & : ~`.
    Symbol,
    /// The end of a sentence (`.`, `;`, `!`, `?`, a line break).
    Break,
}

/// One token of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Token {
    pub kind: Kind,
    /// Folded text: lowercase ASCII where a Latin letter has an ASCII base.
    pub text: String,
    /// Whether the original word was written in capitals ("US" rather than "us").
    pub all_caps: bool,
    /// Whether the original word starts with a capital letter ("Austin", "US").
    pub capitalized: bool,
    /// Where the token was written: character offsets into the message, end exclusive.
    pub span: (usize, usize),
}

/// A message's tokens with a claimed flag per token.
#[derive(Clone, Debug)]
pub(super) struct Tokens {
    tokens: Vec<Token>,
    claimed: Vec<bool>,
    /// The message as written, to quote what was not read.
    source: Vec<char>,
}

impl Tokens {
    /// Tokenises `text`.
    pub fn new(text: &str) -> Tokens {
        let tokens = tokenize(text);
        let claimed = vec![false; tokens.len()];
        Tokens { tokens, claimed, source: text.chars().collect() }
    }

    /// The message as written from the start of token `from` to the end of token `to - 1`.
    pub fn original(&self, from: usize, to: usize) -> String {
        let (Some(first), Some(last)) = (self.tokens.get(from), to.checked_sub(1).and_then(|l| self.tokens.get(l))) else {
            return String::new();
        };
        self.source[first.span.0..last.span.1.max(first.span.0)].iter().collect()
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn get(&self, at: usize) -> Option<&Token> {
        self.tokens.get(at)
    }

    /// The folded text at `at`, or "" past the end.
    pub fn text(&self, at: usize) -> &str {
        self.tokens.get(at).map_or("", |t| t.text.as_str())
    }

    pub fn kind(&self, at: usize) -> Option<Kind> {
        self.tokens.get(at).map(|t| t.kind)
    }

    pub fn is_claimed(&self, at: usize) -> bool {
        self.claimed.get(at).copied().unwrap_or(true)
    }

    /// Marks `from..to` as read.
    pub fn claim(&mut self, from: usize, to: usize) {
        for flag in &mut self.claimed[from..to.min(self.tokens.len())] {
            *flag = true;
        }
    }

    /// Whether any token in `from..to` is claimed.
    pub fn any_claimed(&self, from: usize, to: usize) -> bool {
        (from..to).any(|i| self.is_claimed(i))
    }

    /// Every word of the message, claimed or not.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.tokens.iter().filter(|t| t.kind == Kind::Word).map(|t| t.text.as_str())
    }

    /// If the words of `phrase` (space-separated, folded) match the unclaimed tokens starting at
    /// `at`, the index just past the match.
    pub fn match_phrase(&self, at: usize, phrase: &str) -> Option<usize> {
        let mut i = at;
        for word in phrase.split(' ') {
            let token = self.tokens.get(i)?;
            if self.claimed[i] || token.kind == Kind::Break || !word_matches(&token.text, word) {
                return None;
            }
            i += 1;
        }
        Some(i)
    }

    /// The longest entry of `table` whose phrase matches at `at`, with the index past it.
    pub fn longest<'t, T>(&self, at: usize, table: &'t [(&'static str, T)]) -> Option<(usize, &'t T)> {
        let mut best: Option<(usize, &T)> = None;
        for (phrase, value) in table {
            if let Some(end) = self.match_phrase(at, phrase) {
                if best.is_none_or(|(b, _)| end > b) {
                    best = Some((end, value));
                }
            }
        }
        best
    }

    /// The longest phrase of `phrases` matching at `at`, as the index past it.
    pub fn longest_of(&self, at: usize, phrases: &[&str]) -> Option<usize> {
        phrases.iter().filter_map(|p| self.match_phrase(at, p)).max()
    }

    /// Whether one of `phrases` ends exactly at `end` (exclusive), on unclaimed tokens.
    pub fn phrase_ends_at(&self, end: usize, phrases: &[&str]) -> Option<usize> {
        phrases.iter().find_map(|p| {
            let words = p.split(' ').count();
            let start = end.checked_sub(words)?;
            (self.match_phrase(start, p) == Some(end)).then_some(start)
        })
    }

    /// The start of the sentence holding `at`: just past the previous break.
    pub fn sentence_start(&self, at: usize) -> usize {
        (0..at).rev().find(|&i| self.tokens[i].kind == Kind::Break).map_or(0, |i| i + 1)
    }
}

/// Whether the token `token` is `word` or a plain plural of it ("fintechs", "companies", "heads").
pub(super) fn word_matches(token: &str, word: &str) -> bool {
    if token == word {
        return true;
    }
    // Short words and "news" would turn plurals into false friends ("us" → "u", "news" → "new").
    if word.len() < 3 || token == "news" || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return false;
    }
    let plural = |suffix: &str| token.strip_suffix(suffix) == Some(word);
    plural("s") || plural("es") || word.strip_suffix('y').is_some_and(|stem| token.strip_suffix("ies") == Some(stem))
}

/// Lowercases `c` and strips its accent; `ß`, `æ`, `œ` become two letters.
pub(super) fn fold_char(c: char, out: &mut String) {
    for lower in c.to_lowercase() {
        let folded = match lower {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
            'ç' | 'ć' | 'č' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
            'ñ' | 'ń' | 'ň' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => 'u',
            'ý' | 'ÿ' => 'y',
            'ł' => 'l',
            'ś' | 'š' => 's',
            'ź' | 'ż' | 'ž' => 'z',
            'ř' => 'r',
            'ß' => {
                out.push_str("ss");
                continue;
            }
            'æ' => {
                out.push_str("ae");
                continue;
            }
            'œ' => {
                out.push_str("oe");
                continue;
            }
            other => other,
        };
        out.push(folded);
    }
}

/// Folds a whole string (used for hint values and by tests of the vocabulary).
pub(super) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        fold_char(c, &mut out);
    }
    out
}

fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            i = read_number_or_word(&chars, i, &mut tokens);
        } else if c.is_alphabetic() {
            i = read_word(&chars, i, &mut tokens);
        } else {
            push_symbol(&chars, i, &mut tokens);
            i += symbol_width(&chars, i);
        }
    }
    tokens
}

fn read_word(chars: &[char], start: usize, tokens: &mut Vec<Token>) -> usize {
    let mut end = start;
    while end < chars.len() && chars[end].is_alphanumeric() {
        end += 1;
    }
    let raw = &chars[start..end];
    let mut text = String::with_capacity(raw.len());
    raw.iter().for_each(|&c| fold_char(c, &mut text));
    let letters = raw.iter().filter(|c| c.is_alphabetic());
    let all_caps = raw.len() > 1 && letters.clone().count() > 0 && letters.clone().all(|c| c.is_uppercase());
    let capitalized = raw.first().is_some_and(|c| c.is_uppercase());
    tokens.push(Token { kind: Kind::Word, text, all_caps, capitalized, span: (start, end) });
    end
}

/// Reads "5000", "5,000", "5.000", "1.5k", "10k"; digits followed by other letters ("b2b" never
/// starts here, but "2nd", "7d" do) make a word.
fn read_number_or_word(chars: &[char], start: usize, tokens: &mut Vec<Token>) -> usize {
    let mut end = start;
    let mut text = String::new();
    while end < chars.len() {
        let c = chars[end];
        if c.is_ascii_digit() {
            text.push(c);
            end += 1;
        } else if (c == ',' || c == '.') && is_thousands_group(chars, end + 1) {
            end += 1;
        } else if c == '.' && chars.get(end + 1).is_some_and(|d| d.is_ascii_digit()) {
            text.push('.');
            end += 1;
        } else {
            break;
        }
    }
    let suffix_end = (end..chars.len()).find(|&j| !chars[j].is_alphanumeric()).unwrap_or(chars.len());
    let suffix: String = chars[end..suffix_end].iter().flat_map(|c| c.to_lowercase()).collect();
    if suffix.is_empty() || suffix == "k" || suffix == "m" {
        text.push_str(&suffix);
        tokens.push(Token { kind: Kind::Number, text, all_caps: false, capitalized: false, span: (start, suffix_end) });
    } else {
        let mut word = text;
        word.push_str(&suffix);
        tokens.push(Token { kind: Kind::Word, text: word, all_caps: false, capitalized: false, span: (start, suffix_end) });
    }
    suffix_end
}

/// Whether exactly three digits start at `at` and no further digit follows.
fn is_thousands_group(chars: &[char], at: usize) -> bool {
    (at..at + 3).all(|j| chars.get(j).is_some_and(|c| c.is_ascii_digit())) && !chars.get(at + 3).is_some_and(|c| c.is_ascii_digit())
}

fn symbol_width(chars: &[char], at: usize) -> usize {
    match (chars[at], chars.get(at + 1)) {
        ('>' | '<', Some('=')) => 2,
        _ => 1,
    }
}

fn push_symbol(chars: &[char], at: usize, tokens: &mut Vec<Token>) {
    let prev = at.checked_sub(1).map(|j| chars[j]);
    let next = chars.get(at + 1).copied();
    let span = (at, at + symbol_width(chars, at));
    let symbol = |s: &str| Token { kind: Kind::Symbol, text: s.to_string(), all_caps: false, capitalized: false, span };
    let brk = Token { kind: Kind::Break, text: ".".to_string(), all_caps: false, capitalized: false, span };
    let token = match chars[at] {
        // A hyphen inside a word only splits it; next to digits or spaces it is a range dash.
        '-' | '‐' if prev.is_some_and(char::is_alphabetic) && next.is_some_and(char::is_alphabetic) => None,
        '-' | '‐' | '–' | '—' => Some(symbol("-")),
        '.' if next.is_some_and(char::is_alphanumeric) => None,
        // "U.S." — a full stop closing a dotted abbreviation does not end the sentence.
        '.' if prev.is_some_and(char::is_alphabetic) && at >= 2 && chars[at - 2] == '.' => None,
        '.' | ';' | '!' | '?' | '\n' | '。' => Some(brk),
        '>' if next == Some('=') => Some(symbol(">=")),
        '<' if next == Some('=') => Some(symbol("<=")),
        '≥' => Some(symbol(">=")),
        '≤' => Some(symbol("<=")),
        c @ ('+' | '>' | '<' | '=' | ',' | '/' | '&' | ':' | '~') => Some(symbol(&c.to_string())),
        _ => None,
    };
    tokens.extend(token);
}
