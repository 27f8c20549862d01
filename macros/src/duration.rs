//! `#[agent(timeout = "30s")]`: a duration written as a whole number and a
//! unit, checked at compile time.

/// The units a timeout may be written in, and their length in milliseconds.
const UNITS: &[(&str, u64)] = &[("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000)];

const HOW: &str = "write a whole number and a unit (`ms`, `s`, `m` or `h`), e.g. `timeout = \"30s\"` or `timeout = \"5m\"`";

/// `text` in milliseconds, or what is wrong with it.
pub(crate) fn parse_millis(text: &str) -> Result<u64, String> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let Some(&(_, per)) = UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(format!("`{text}` is not a duration: {HOW}"));
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: {HOW}"))?;
    match number.checked_mul(per) {
        Some(0) => Err(format!(
            "a timeout of `{text}` would end every run at once: {HOW}"
        )),
        Some(millis) => Ok(millis),
        None => Err(format!("`{text}` is too long a timeout")),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_millis;

    #[test]
    fn durations() {
        assert_eq!(parse_millis("250ms"), Ok(250));
        assert_eq!(parse_millis("30s"), Ok(30_000));
        assert_eq!(parse_millis("5m"), Ok(300_000));
        assert_eq!(parse_millis("2h"), Ok(7_200_000));
        for bad in [
            "", "30", "s", "30 s", "1.5s", "-1s", "30sec", "30S", " 30s", "0s",
        ] {
            assert!(parse_millis(bad).is_err(), "{bad:?}");
        }
        assert!(parse_millis("99999999999999999999h").is_err());
        assert!(parse_millis("9999999999999999h")
            .unwrap_err()
            .contains("too long"));
    }
}
