//! Patch history wording (pure): an agent's change set as "name from -> to" text.

use serde_json::Value;

/// `openssl 3.0.8 -> 3.0.9; curl (none) -> 8.1` from a change set (`installed`, `removed`, `upgraded`,
/// `downgraded` lists of `{name, from, to}`); empty when there is none.
pub fn changes(cs: Option<&Value>) -> String {
    let Some(cs) = cs else { return String::new() };
    let mut out = Vec::new();
    for kind in ["upgraded", "installed", "downgraded", "removed"] {
        for c in cs.get(kind).and_then(Value::as_array).into_iter().flatten() {
            let v = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("(none)").to_owned();
            out.push(format!("{} {} -> {}", v("name"), v("from"), v("to")));
        }
    }
    out.join("; ")
}

/// The packages a deployment asked for, space-separated (`all` when none were listed).
pub fn packages(v: &Value) -> String {
    let p: Vec<&str> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if p.is_empty() {
        "all".to_owned()
    } else {
        p.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn change_sets_read_from_to() {
        let cs = json!({"installed": [{"name": "curl", "architecture": "amd64", "from": null, "to": "8.1"}],
            "removed": [], "upgraded": [{"name": "openssl", "architecture": "amd64", "from": "3.0.8", "to": "3.0.9"}],
            "downgraded": []});
        assert_eq!(changes(Some(&cs)), "openssl 3.0.8 -> 3.0.9; curl (none) -> 8.1");
        assert_eq!(changes(None), "");
        assert_eq!(packages(&json!([])), "all");
        assert_eq!(packages(&json!(["a", "b"])), "a b");
    }
}
