//! SIP2 on the wire: framing a byte stream into messages, reading one, and writing answers.
//!
//! A message is ASCII, ends with a carriage return (a line feed after it is
//! tolerated), starts with a two-digit command, then the command's fixed-width
//! fields, then variable fields, each a two-letter id, a value and `|`. When
//! the client uses error detection, `AY` (one-digit sequence number) and `AZ`
//! (four hex digits) close the message: the checksum is the two's complement
//! of the 16-bit sum of every byte up to and including `AZ`.
//!
//! This parser is our own: the `sip2` crate (evergreen-universe-rs) is a
//! client whose `Connection` reads and writes a blocking `std::net::TcpStream`;
//! a server needs framing over async reads, and only four message pairs.

use chrono::{DateTime, Utc};

/// The longest message accepted, terminator excluded; a longer one is dropped.
pub const MAX_MESSAGE: usize = 4096;

/// What the framer found in the bytes read so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// One message, without its terminator.
    Message(Vec<u8>),
    /// A message longer than [`MAX_MESSAGE`] was thrown away.
    Oversized,
}

/// Splits a byte stream into CR-terminated messages, however the reads cut it.
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
    // Set while throwing away an oversized message, until its CR.
    skipping: bool,
}

impl Framer {
    /// A framer with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the bytes of one read and returns the messages they complete, in order.
    pub fn push(&mut self, mut bytes: &[u8]) -> Vec<Frame> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            match bytes.iter().position(|&b| b == b'\r') {
                Some(i) => {
                    let (part, rest) = (&bytes[..i], &bytes[i + 1..]);
                    bytes = rest;
                    if self.skipping || self.buf.len() + part.len() > MAX_MESSAGE {
                        self.skipping = false;
                        self.buf.clear();
                        out.push(Frame::Oversized);
                        continue;
                    }
                    self.buf.extend_from_slice(part);
                    let mut message = std::mem::take(&mut self.buf);
                    // The LF of a CR LF arrives at the start of the next message.
                    if message.first() == Some(&b'\n') {
                        message.remove(0);
                    }
                    if !message.is_empty() {
                        out.push(Frame::Message(message));
                    }
                }
                None => {
                    if !self.skipping {
                        if self.buf.len() + bytes.len() > MAX_MESSAGE + 1 {
                            // Hold no more than the cap: the rest is thrown away at its CR.
                            self.skipping = true;
                            self.buf.clear();
                        } else {
                            self.buf.extend_from_slice(bytes);
                        }
                    }
                    bytes = &[];
                }
            }
        }
        out
    }
}

/// The checksum of `bytes` (which end with `AZ`): four upper-case hex digits.
pub fn checksum(bytes: &[u8]) -> String {
    let sum = bytes
        .iter()
        .fold(0u16, |acc, &b| acc.wrapping_add(u16::from(b)));
    format!("{:04X}", sum.wrapping_neg())
}

/// Why a message could not be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    /// Shorter than a command and its fixed fields.
    #[error("message too short for command {0}")]
    Short(String),
    /// The `AZ` value does not match the bytes.
    #[error("checksum does not match")]
    Checksum,
    /// `AZ` is not four hex digits, or `AY` not one digit.
    #[error("AY/AZ trailer is malformed")]
    Trailer,
    /// Not two ASCII digits at the start.
    #[error("no command")]
    NoCommand,
}

/// One message read from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The two-digit command, such as `23`.
    pub command: String,
    /// The fixed-width fields after the command, as sent.
    pub fixed: String,
    /// The variable fields, id and value, in order (AY and AZ excluded).
    pub fields: Vec<(String, String)>,
    /// The sequence number `AY`, when sent.
    pub sequence: Option<u8>,
    /// Whether the client sent a checksum (then the answer carries one too).
    pub checked: bool,
}

/// Widths of the fixed fields of each request custodian answers.
fn fixed_width(command: &str) -> Option<usize> {
    Some(match command {
        "93" => 2,           // UID algorithm, PWD algorithm
        "99" => 1 + 3 + 4,   // status code, max print width, protocol version
        "23" => 3 + 18,      // language, transaction date
        "63" => 3 + 18 + 10, // language, transaction date, summary
        "35" => 18,          // transaction date
        "97" => 0,
        _ => return None,
    })
}

impl Message {
    /// Reads one message (without its terminator), checking its checksum when it has one.
    pub fn parse(raw: &[u8]) -> Result<Message, Malformed> {
        let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
        let (body, sequence, checked) = split_trailer(raw)?;
        let text = String::from_utf8_lossy(body);
        let command = text.get(..2).ok_or(Malformed::NoCommand)?;
        if !command.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Malformed::NoCommand);
        }
        // Unknown commands are read as all-variable so they can be answered at all.
        let width = fixed_width(command).unwrap_or(0);
        let rest = &text[2..];
        let fixed = rest
            .get(..width)
            .ok_or_else(|| Malformed::Short(command.to_owned()))?;
        let fields = rest[width..]
            .split('|')
            .filter_map(|f| {
                let id = f.get(..2)?;
                Some((id.to_owned(), f[2..].to_owned()))
            })
            .collect();
        Ok(Message {
            command: command.to_owned(),
            fixed: fixed.to_owned(),
            fields,
            sequence,
            checked,
        })
    }

    /// The first value of field `id`, if sent.
    pub fn field(&self, id: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, v)| v.as_str())
    }
}

/// Splits `AY…AZ…` off the end of the raw bytes, checking the checksum.
fn split_trailer(raw: &[u8]) -> Result<(&[u8], Option<u8>, bool), Malformed> {
    let n = raw.len();
    // The checksum's four digits are hex, so an "AZ" within the last six bytes
    // followed by hex digits only is a trailer, whole or cut short.
    let Some(at) = (n.saturating_sub(6)..n.saturating_sub(1))
        .find(|&i| &raw[i..i + 2] == b"AZ" && raw[i + 2..].iter().all(u8::is_ascii_hexdigit))
    else {
        return Ok((raw, None, false));
    };
    let given = &raw[at + 2..];
    if given.len() != 4 {
        return Err(Malformed::Trailer);
    }
    let want = checksum(&raw[..at + 2]);
    if !want.as_bytes().eq_ignore_ascii_case(given) {
        return Err(Malformed::Checksum);
    }
    let mut body = &raw[..at];
    let mut sequence = None;
    if let [.., b'A', b'Y', digit] = body {
        if !digit.is_ascii_digit() {
            return Err(Malformed::Trailer);
        }
        sequence = Some(digit - b'0');
        body = &body[..body.len() - 3];
    }
    Ok((body, sequence, true))
}

/// An answer being written: the command, fixed fields, then variable fields.
#[derive(Debug, Clone)]
pub struct Answer {
    text: String,
}

impl Answer {
    /// Starts an answer with its command and fixed fields.
    pub fn new(command: &str, fixed: &str) -> Self {
        let mut text = String::with_capacity(128);
        text.push_str(command);
        text.push_str(&clean(fixed));
        Answer { text }
    }

    /// Adds variable field `id` with `value` (a `|` in the value is dropped, it would end the field).
    pub fn field(mut self, id: &str, value: &str) -> Self {
        self.text.push_str(id);
        self.text.push_str(&clean(value).replace('|', ""));
        self.text.push('|');
        self
    }

    /// Adds field `id` when there is a value.
    pub fn maybe(self, id: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.field(id, v),
            None => self,
        }
    }

    /// The bytes to send: echoing the request's `AY`, with `AZ` when the request had one, then CR.
    pub fn finish(mut self, sequence: Option<u8>, checked: bool) -> Vec<u8> {
        if checked {
            if let Some(n) = sequence {
                self.text.push_str(&format!("AY{n}"));
            }
            self.text.push_str("AZ");
            let sum = checksum(self.text.as_bytes());
            self.text.push_str(&sum);
        } else if let Some(n) = sequence {
            self.text.push_str(&format!("AY{n}"));
        }
        self.text.push('\r');
        self.text.into_bytes()
    }
}

// Answers stay ASCII without control characters: a CR in a value would end the message early.
fn clean(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// A SIP2 date: `YYYYMMDD` then the zone (`   Z` for UTC) then `HHMMSS`, 18 characters.
pub fn sip_date(at: DateTime<Utc>) -> String {
    at.format("%Y%m%d   Z%H%M%S").to_string()
}

/// A calendar date (`YYYY-MM-DD`) as a SIP2 date at midnight UTC; other text as it is.
pub fn sip_day(day: &str) -> String {
    match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(d) => format!("{}   Z000000", d.format("%Y%m%d")),
        Err(_) => day.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn with_checksum(body: &str) -> Vec<u8> {
        let mut s = body.to_owned();
        s.push_str("AZ");
        let c = checksum(s.as_bytes());
        s.push_str(&c);
        s.into_bytes()
    }

    #[test]
    fn the_checksum_is_the_twos_complement_of_the_sum() {
        let body = b"9300CNlogin|COpw|AY1AZ";
        let sum: u32 = body.iter().map(|&b| u32::from(b)).sum();
        let c = u16::from_str_radix(&checksum(body), 16).unwrap();
        assert_eq!((sum as u16).wrapping_add(c), 0);
    }

    #[test]
    fn a_login_is_read_with_its_trailer() {
        let m = Message::parse(&with_checksum("9300CNcvk_1|COsecret|CPmain|AY3")).unwrap();
        assert_eq!(m.command, "93");
        assert_eq!(m.fixed, "00");
        assert_eq!(m.field("CN"), Some("cvk_1"));
        assert_eq!(m.field("CO"), Some("secret"));
        assert_eq!(m.sequence, Some(3));
        assert!(m.checked);
    }

    #[test]
    fn a_bad_checksum_is_refused_and_none_is_accepted() {
        let mut raw = with_checksum("9900302.00AY1");
        let n = raw.len();
        raw[n - 1] = if raw[n - 1] == b'0' { b'1' } else { b'0' };
        assert_eq!(Message::parse(&raw), Err(Malformed::Checksum));
        let m = Message::parse(b"9900302.00").unwrap();
        assert!(!m.checked);
        assert_eq!(m.fixed, "00302.00");
        assert_eq!(Message::parse(b"9"), Err(Malformed::NoCommand));
        assert_eq!(Message::parse(b"2300"), Err(Malformed::Short("23".into())));
        assert_eq!(Message::parse(b"99AZ12"), Err(Malformed::Trailer));
    }

    #[test]
    fn answers_echo_the_sequence_and_carry_a_valid_checksum() {
        let bytes = Answer::new("94", "1").finish(Some(7), true);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("941AY7AZ"), "{text}");
        assert!(text.ends_with('\r'));
        assert!(Message::parse(&bytes[..bytes.len() - 1]).is_ok());
        assert_eq!(Answer::new("94", "0").finish(None, false), b"940\r");
        let odd = Answer::new("24", "")
            .field("AE", "A|B\rC")
            .finish(None, false);
        assert_eq!(odd, b"24AEAB?C|\r");
    }

    #[test]
    fn frames_survive_splits_joins_lf_and_oversize() {
        let mut f = Framer::new();
        assert!(f.push(b"9900").is_empty());
        assert_eq!(
            f.push(b"302.00\r\n9300"),
            vec![Frame::Message(b"9900302.00".to_vec())]
        );
        assert_eq!(
            f.push(b"CNa|COb|\r\n"),
            vec![Frame::Message(b"9300CNa|COb|".to_vec())]
        );
        let long = vec![b'x'; MAX_MESSAGE + 10];
        assert!(f.push(&long).is_empty());
        assert!(f.push(&long).is_empty());
        assert_eq!(
            f.push(b"tail\r9900302.00\r"),
            vec![Frame::Oversized, Frame::Message(b"9900302.00".to_vec())]
        );
        let exact = vec![b'9'; MAX_MESSAGE];
        let mut both = exact.clone();
        both.push(b'\r');
        assert_eq!(f.push(&both), vec![Frame::Message(exact)]);
    }

    proptest! {
        #[test]
        fn any_split_of_a_stream_frames_the_same(
            messages in proptest::collection::vec("[0-9A-Za-z|]{1,60}", 1..8),
            cuts in proptest::collection::vec(0usize..400, 0..10),
            lf in any::<bool>(),
        ) {
            let mut stream = Vec::new();
            for m in &messages {
                stream.extend_from_slice(m.as_bytes());
                stream.push(b'\r');
                if lf { stream.push(b'\n'); }
            }
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (stream.len() + 1)).collect();
            cuts.sort_unstable();
            let mut f = Framer::new();
            let mut got = Vec::new();
            let mut last = 0;
            for c in cuts.into_iter().chain([stream.len()]) {
                got.extend(f.push(&stream[last..c]));
                last = c;
            }
            let want: Vec<Frame> = messages.iter().map(|m| Frame::Message(m.as_bytes().to_vec())).collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn parse_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Message::parse(&raw);
        }

        #[test]
        fn what_we_write_we_read_back(
            value in "[ -{}~]{0,80}",
            seq in proptest::option::of(0u8..10),
        ) {
            let bytes = Answer::new("24", "").field("AA", &value).finish(seq, true);
            let m = Message::parse(&bytes[..bytes.len() - 1]);
            prop_assert!(m.is_ok(), "{:?}", m);
            let m = m.unwrap();
            prop_assert_eq!(m.sequence, seq);
            prop_assert!(m.checked);
        }
    }
}
