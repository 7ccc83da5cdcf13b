//! The `rust` backend: the simulator itself as Rust source, for projects without a C++ compiler.
//!
//! Two files: `simulator.rs`, a self-contained module (std only) with the state, the kernels
//! (forward, adjoint, optimiser) as safe Rust over per-lane slices, and the C ABI of `rgenn.h` as
//! `pub unsafe extern "C" fn` items without `#[no_mangle]`; and `cdylib.rs`, a crate root that
//! exports those functions under their C names so that the runtime builds it with `rustc` and
//! loads it like the C++ library. Every kernel mirrors the CPU backend's statement by statement
//! (same operations in the same order, same libm calls), so results are bit-identical to `cpu`.
//!
//! Code is built with `quote` and formatted with `prettyplease`. Comments inside function bodies
//! are written as `rgenn_note!("...")` statements and turned into `//` lines after formatting
//! ([`comments`]), since token streams carry no comments.

mod abi;
mod backward;
mod ctx;
mod forward;
mod optimizer;
pub mod print;
mod readout;
mod state;
mod update;

use proc_macro2::TokenStream;

use super::{GeneratedFile, RenderError};
use crate::ir::{Network, Precision};

/// Format `tokens` as a file, with `header` lines (`//` comments) on top.
fn format_file(header: &[String], tokens: TokenStream) -> Result<String, RenderError> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| RenderError {
        template: "rust".into(),
        message: format!("generated Rust does not parse: {e}"),
    })?;
    let mut out = String::new();
    for line in header {
        if line.is_empty() {
            out.push_str("//\n");
        } else {
            out.push_str("// ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push('\n');
    out.push_str(&comments(&prettyplease::unparse(&file)));
    Ok(out)
}

/// Turn every `rgenn_note!("text");` statement (on one line, or on three as prettyplease wraps a
/// long one) into `// text` at the same indentation, and put a blank line between items.
pub fn comments(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut k = 0;
    while k < lines.len() {
        let line = lines[k];
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let (literal, used) = if let Some(rest) = trimmed.strip_prefix("rgenn_note!(") {
            match rest.strip_suffix(");") {
                Some(lit) => (Some(lit.to_string()), 1),
                None if rest.is_empty() && k + 2 < lines.len() && lines[k + 2].trim() == ");" => {
                    (Some(lines[k + 1].trim().to_string()), 3)
                }
                None => (None, 1),
            }
        } else {
            (None, 1)
        };
        match literal.and_then(|l| syn::parse_str::<syn::LitStr>(&l).ok()) {
            Some(lit) => out.push(format!("{indent}// {}", lit.value())),
            None => {
                if starts_item(&out, line) {
                    out.push(String::new());
                }
                out.push(line.to_string());
            }
        }
        k += used;
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// True when `line` begins an item (or a method) right after the end of another at the same
/// indentation, so a blank line belongs before it.
fn starts_item(before: &[String], line: &str) -> bool {
    let Some(prev) = before.last() else {
        return false;
    };
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let prev_trimmed = prev.trim_start();
    if prev.len() - prev_trimmed.len() != indent || prev_trimmed.is_empty() {
        return false;
    }
    let item = [
        "///",
        "#[",
        "fn ",
        "pub ",
        "unsafe fn",
        "impl",
        "struct ",
        "const ",
        "mod ",
    ]
    .iter()
    .any(|p| trimmed.starts_with(p));
    let after_use = prev_trimmed.starts_with("use ") && !trimmed.starts_with("use ");
    let after_block = prev_trimmed == "}" && item;
    let after_const = prev_trimmed.ends_with(';')
        && !prev_trimmed.starts_with("use ")
        && (trimmed.starts_with("///") || trimmed.starts_with("fn ") || trimmed.starts_with("#["));
    after_use || after_block || after_const
}

/// Render `simulator.rs` and `cdylib.rs`.
pub fn render(net: &Network, cache_key: &str) -> Result<Vec<GeneratedFile>, RenderError> {
    let g = ctx::Gen::new(net);
    let mut tokens = state::prelude(&g);
    tokens.extend(state::state(&g));
    tokens.extend(state::lane_functions(&g));
    tokens.extend(forward::kernels(&g));
    if net.has_backward() {
        tokens.extend(backward::kernels(&g));
        tokens.extend(optimizer::kernels(&g));
    }
    tokens.extend(abi::functions(&g, cache_key));
    let precision = match net.precision {
        Precision::F32 => "f32",
        Precision::F64 => "f64",
    };
    let source = &net.origin.file;
    let simulator = format_file(
        &[
            format!("Generated by rgenn from {source}. Do not edit."),
            String::new(),
            format!(
                "Network \"{}\": dt {} ms, {} steps per trial, {precision}, batch {}.",
                net.name, net.dt_ms, net.n_steps, net.batch_size
            ),
            "The simulator as a Rust module with no dependencies beyond std (the `rust` backend):".into(),
            "the state, the kernels as safe Rust over per-lane slices, and the C ABI of rgenn.h as".into(),
            "`pub unsafe extern \"C\" fn` items that are not exported (see cdylib.rs for that). Use it as".into(),
            "`#[path = \"simulator.rs\"] mod simulator;` or `mod simulator { include!(\"simulator.rs\"); }`.".into(),
            String::new(),
            "Calling contract: `sim` comes from `rgenn_create` and is destroyed once. Calls for".into(),
            "different lanes may run at the same time on different threads; calls for one lane never".into(),
            "overlap. `rgenn_buffer` pointers are used, and `rgenn_set_input`, `rgenn_profile` and".into(),
            "`rgenn_optimizer_step` are called, only while no lane runs. Every batch lane has its own".into(),
            "copy of the state, so lanes only ever borrow their own part of each buffer.".into(),
        ],
        tokens,
    )?;
    let cdylib = format_file(
        &[
            format!("Generated by rgenn from {source}. Do not edit."),
            String::new(),
            format!(
                "Crate root of the shared library of network \"{}\" (the `rust` backend): exports the",
                net.name
            ),
            "functions of simulator.rs under their C names. Build with".into(),
            "`rustc --crate-type cdylib --edition 2024 -C opt-level=3 cdylib.rs`.".into(),
        ],
        abi::cdylib(),
    )?;
    Ok(vec![
        GeneratedFile {
            name: "simulator.rs".into(),
            contents: simulator,
        },
        GeneratedFile {
            name: "cdylib.rs".into(),
            contents: cdylib,
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_become_comments_at_their_indentation() {
        let text = "fn f() {\n    rgenn_note!(\"a \\\"quoted\\\" note — x.yaml:1:2\");\n    g();\n    rgenn_note!(\n        \"long\"\n    );\n}\nfn g() {}\n";
        assert_eq!(
            comments(text),
            "fn f() {\n    // a \"quoted\" note — x.yaml:1:2\n    g();\n    // long\n}\n\nfn g() {}\n"
        );
    }
}
