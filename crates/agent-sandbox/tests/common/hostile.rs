//! Hostile text for property tests of everything a caller's strings reach.

use proptest::prelude::*;

/// Text built to break naive quoting: quotes, `$()`, backticks, newlines,
/// `exec `, leading dashes, globs, unicode.
pub fn hostile() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "'",
        "\"",
        "\\",
        "$(touch pwned)",
        "`touch pwned`",
        "$HOME",
        "${V0}",
        "\n",
        "\t",
        " ",
        "exec ",
        "-",
        "--",
        "-c",
        "*",
        "?",
        "[a]",
        ";",
        "&&",
        "|",
        ">",
        "<",
        "#",
        "~",
        "é",
        "日本",
        "🙂",
        "\u{7f}",
        "\u{1b}[0m",
        "a",
        "b",
        "0",
        "=",
        "%s",
        "'\\''",
    ]);
    prop::collection::vec(
        prop_oneof![pieces.prop_map(str::to_string), "[ -~]{0,4}"],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}
