//! Lowering: the user's model (with spans) -> the IR, checking everything on the way.
//!
//! Every problem is reported with its YAML position, and all problems are collected before
//! returning. Lowering also decides every size: step delays, ring lengths, synapse counts,
//! derived params and buffers. Entry points: [`load_file`] and [`load_str`], and with
//! [`LoadOptions`] (how to read the trial length from the data) [`load_file_with`] and
//! [`load_str_with`].

mod adjoint;
mod connections;
pub mod duration;
mod models;
mod ode;
mod params;
mod populations;
mod run;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics, LoadError};
use crate::ir::{self, Origin};
use crate::model;
use crate::span::{SourceId, SourceMap, Span};
use crate::yaml;

/// A validated network: its IR plus the sources it was read from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The IR.
    pub ir: ir::Network,
    /// Every file read (network and models), for messages.
    pub sources: SourceMap,
    /// Folder of the network file: relative paths in the IR are relative to it.
    pub base_dir: PathBuf,
}

/// How to load a network: what lowering may ask of the program around it.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadOptions {
    /// Reads the latest spike time from the network's `data:`, for a network without
    /// `duration:` (see [`duration`]). `None` (codegen reads no data files itself): such a
    /// network is an error. The runtime provides one (`rgenn_runtime::load_network`).
    pub data_extent: Option<duration::DataExtent>,
}

/// Read, parse and validate a network file, reading no data files (a network without
/// `duration:` is an error; see [`load_file_with`]).
pub fn load_file(path: &Path) -> Result<Loaded, LoadError> {
    load_file_with(path, &LoadOptions::default())
}

/// Read, parse and validate a network file with `options`.
pub fn load_file_with(path: &Path, options: &LoadOptions) -> Result<Loaded, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| LoadError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    load_str_with(&path.display().to_string(), &text, &base, options)
}

/// Parse and validate network YAML `text` shown to the user as `name`; relative paths in it are
/// resolved against `base_dir`. Reads no data files (see [`load_str_with`]).
pub fn load_str(name: &str, text: &str, base_dir: &Path) -> Result<Loaded, LoadError> {
    load_str_with(name, text, base_dir, &LoadOptions::default())
}

/// [`load_str`] with `options`.
pub fn load_str_with(
    name: &str,
    text: &str,
    base_dir: &Path,
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let mut cx = Cx {
        data_extent: options.data_extent,
        sources: SourceMap::default(),
        diags: Diagnostics::default(),
        base_dir: base_dir.to_path_buf(),
        models: Vec::new(),
        model_index: BTreeMap::new(),
    };
    let id = cx.sources.add(name, text);
    let net = match yaml::parse(text, id) {
        Ok(root) => model::parse_network(&root, &mut cx.diags),
        Err(d) => {
            cx.diags.push(d);
            None
        }
    };
    let ir = net.and_then(|net| lower(&mut cx, &net));
    // The code-string parser (syn) records every text it parses in a per-thread source map that
    // proc-macro2 never frees on its own; no span outlives lowering, so release them (each load
    // would otherwise keep its code strings, ~14 kB, for the life of the thread).
    proc_macro2::extra::invalidate_current_thread_spans();
    match ir {
        Some(ir) if cx.diags.is_empty() => Ok(Loaded {
            ir,
            sources: cx.sources,
            base_dir: cx.base_dir,
        }),
        _ => Err(cx.diags.into_error(&cx.sources)),
    }
}

/// State shared by the lowering passes.
pub(crate) struct Cx {
    /// Reads the trial length from the data when `duration:` is absent.
    pub data_extent: Option<duration::DataExtent>,
    pub sources: SourceMap,
    pub diags: Diagnostics,
    pub base_dir: PathBuf,
    /// Checked models, in order of first use.
    pub models: Vec<models::Checked>,
    /// `model:` value -> index in `models` (`None`: failed to load).
    pub model_index: BTreeMap<String, Option<usize>>,
}

impl Cx {
    /// Where a span starts, for the IR.
    pub fn origin(&self, span: Span) -> Origin {
        let file = self.sources.file(span.source);
        let lc = file.line_col(span.start as usize);
        Origin {
            file: display_name(&file.name, &self.base_dir),
            line: lc.line,
            column: lc.column,
        }
    }

    pub fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub fn file_text(&self, id: SourceId) -> std::sync::Arc<String> {
        self.sources.file(id).text.clone()
    }
}

/// The file's path relative to the network's folder (a built-in model's as `models/<name>.yaml`),
/// so that the IR does not depend on where the files live.
fn display_name(name: &str, base_dir: &Path) -> String {
    if model::library::BUILTIN_MODELS
        .iter()
        .any(|(_, file, _)| *file == name)
    {
        return name.to_string();
    }
    let path = Path::new(name);
    match path.strip_prefix(base_dir) {
        Ok(relative) if !relative.as_os_str().is_empty() => relative.to_string_lossy().into_owned(),
        _ => path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.to_string()),
    }
}

fn lower(cx: &mut Cx, net: &model::Network) -> Option<ir::Network> {
    let dt_ms = net.dt_ms.value;
    if dt_ms <= 0.0 {
        cx.error(
            Diagnostic::new(
                "rgenn::validate::bad_dt",
                net.dt_ms.span,
                "`dt` must be positive",
            )
            .label("not a positive time step (ms)"),
        );
    }
    if let Some(duration) = &net.duration_ms {
        if duration.value <= 0.0 {
            cx.error(
                Diagnostic::new(
                    "rgenn::validate::bad_duration",
                    duration.span,
                    "`duration` must be positive",
                )
                .label("not a positive duration (ms)"),
            );
        } else if dt_ms > 0.0 && duration.value < dt_ms {
            cx.error(Diagnostic::new(
                "rgenn::validate::bad_duration",
                duration.span,
                "`duration` is shorter than one time step `dt`",
            ));
        }
    }
    let batch_size = positive(cx, &net.batch_size, "batch_size", u32::MAX as i64);
    let lane_group = lane_group(cx, &net.lane_group);
    let seed = if net.seed.value < 0 {
        cx.error(Diagnostic::new(
            "rgenn::validate::bad_seed",
            net.seed.span,
            "`seed` must be zero or positive",
        ));
        None
    } else {
        Some(net.seed.value as u64)
    };
    let mut pops = populations::lower_populations(cx, net, dt_ms.max(f64::MIN_POSITIVE));
    let conns = connections::lower_connections(cx, net, &mut pops, dt_ms, seed.unwrap_or(0));
    let run = run::lower_run(cx, net, &pops);
    // `duration:` as given, or (absent) from the latest spike of the data (validate/duration.rs).
    let (duration_ms, n_steps, at) = match &net.duration_ms {
        Some(d) => (d.value, (d.value / dt_ms).round(), d.span),
        None if dt_ms > 0.0 && cx.diags.is_empty() => {
            let (d, n) = duration::from_data(cx, net.dt_ms.span, run.as_ref(), dt_ms)?;
            (d, n, net.dt_ms.span)
        }
        None => return None,
    };
    if dt_ms > 0.0 && n_steps > u32::MAX as f64 {
        cx.error(Diagnostic::new(
            "rgenn::validate::too_many_steps",
            at,
            "`duration / dt` is too many steps",
        ));
    }
    if !cx.diags.is_empty() {
        return None;
    }
    let mut ir = ir::Network {
        ir_version: ir::IR_VERSION,
        name: net.name.value.clone(),
        origin: cx.origin(net.span),
        dt_ms,
        duration_ms,
        n_steps: n_steps as u32,
        precision: net.precision.value,
        batch_size: batch_size?,
        lane_group: lane_group?,
        seed: seed?,
        models: cx.models.iter().map(|m| m.ir.clone()).collect(),
        populations: pops.into_iter().map(|p| p.ir).collect(),
        connections: conns,
        buffers: Vec::new(),
        run: run?,
    };
    ir.buffers = ir::buffers::plan(&ir);
    Some(ir)
}

/// A whole number in `0..=u32::MAX`, reported otherwise.
pub(crate) fn non_negative(cx: &mut Cx, v: &crate::span::Spanned<i64>, what: &str) -> Option<u32> {
    if v.value < 0 || v.value > u32::MAX as i64 {
        cx.error(
            Diagnostic::new(
                "rgenn::validate::out_of_range",
                v.span,
                format!(
                    "`{what}` must be a whole number from 0 to {}, found {}",
                    u32::MAX,
                    v.value
                ),
            )
            .label("out of range"),
        );
        return None;
    }
    Some(v.value as u32)
}

/// A whole number in `1..=max`, reported otherwise.
/// `lane_group:`: a power of two (lanes of a group share gradient buffers, and groups must be
/// nodes of the fixed lane tree of the gradient sum, docs/training.md).
fn lane_group(cx: &mut Cx, v: &crate::span::Spanned<i64>) -> Option<u32> {
    let g = positive(cx, v, "lane_group", 1 << 16)?;
    if !g.is_power_of_two() {
        cx.error(
            Diagnostic::new(
                "rgenn::validate::lane_group_not_power_of_two",
                v.span,
                format!("`lane_group` must be a power of two (1, 2, 4, 8, ...), found {g}"),
            )
            .label("not a power of two")
            .help("groups of lanes are nodes of the fixed tree that sums the batch's gradients"),
        );
        return None;
    }
    Some(g)
}

pub(crate) fn positive(
    cx: &mut Cx,
    v: &crate::span::Spanned<i64>,
    what: &str,
    max: i64,
) -> Option<u32> {
    if v.value < 1 || v.value > max {
        cx.error(
            Diagnostic::new(
                "rgenn::validate::not_positive",
                v.span,
                format!(
                    "`{what}` must be a whole number from 1 to {max}, found {}",
                    v.value
                ),
            )
            .label("out of range"),
        );
        return None;
    }
    Some(v.value as u32)
}
