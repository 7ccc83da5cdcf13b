//! Reading and writing NumPy `.npz` archives: arrays by name with dtype and shape checks.
//!
//! Reading never trusts the file: an array's declared shape must fit in the bytes its zip entry
//! holds (a truncated file or a header that lies is an error before anything is allocated), and
//! no array may expand past [`max_array_bytes`] (`RGENN_MAX_ARRAY_BYTES`, default 16 GiB), so a
//! zip bomb is an error, never an out-of-memory.

use std::path::{Path, PathBuf};

use npyz::npz::NpzArchive;
use npyz::{DType, TypeChar, WriterBuilder};

use crate::error::DataError;
use crate::fsutil::write_atomic;

/// An open `.npz` file.
pub struct NpzFile {
    path: PathBuf,
    archive: NpzArchive<std::io::BufReader<std::fs::File>>,
}

/// An array read as f64 or u64 values with its shape.
pub struct Array<T> {
    /// Values in C order.
    pub values: Vec<T>,
    /// Shape.
    pub shape: Vec<u64>,
}

fn type_of(d: &DType) -> Option<(TypeChar, u64)> {
    match d {
        DType::Plain(t) => Some((t.type_char(), t.num_bytes()? as u64)),
        _ => None,
    }
}

impl NpzFile {
    /// Open `path`.
    pub fn open(path: &Path) -> Result<NpzFile, DataError> {
        let archive = NpzArchive::open(path).map_err(|e| DataError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(NpzFile {
            path: path.to_path_buf(),
            archive,
        })
    }

    /// Whether the archive holds `name`.
    pub fn has(&self, name: &str) -> bool {
        self.archive.array_names().any(|n| n == name)
    }

    fn missing(&self, name: &str) -> DataError {
        let mut names: Vec<String> = self
            .archive
            .array_names()
            .map(|n| format!("`{n}`"))
            .collect();
        names.sort();
        let hint = if names.is_empty() {
            String::new()
        } else {
            format!(" (it has {})", names.join(", "))
        };
        DataError::MissingArray {
            path: self.path.clone(),
            name: name.to_string(),
            hint,
        }
    }

    /// The array `name`, ready to read, its declared size checked against its zip entry and the
    /// limit.
    fn array(&mut self, name: &str) -> Result<npyz::NpyFile<zip::read::ZipFile<'_>>, DataError> {
        if !self.has(name) {
            return Err(self.missing(name));
        }
        let path = self.path.clone();
        let invalid = |message: String| DataError::Invalid {
            path: path.clone(),
            message,
        };
        let entry = npyz::npz::file_name_from_array_name(name);
        let stored = match self.archive.zip_archive().by_name(&entry) {
            Ok(f) => {
                let size = f.size();
                check_header(f, size).map_err(|m| invalid(format!("array `{name}`: {m}")))?;
                size
            }
            Err(e) => {
                return Err(read_error(
                    &path,
                    name,
                    std::io::Error::other(e.to_string()),
                ));
            }
        };
        let limit = max_array_bytes();
        if stored > limit {
            return Err(invalid(too_large(name, stored, limit)));
        }
        match self.archive.by_name(name) {
            Ok(Some(f)) => {
                let elem = type_of(&f.dtype()).map_or(1, |(_, b)| b.max(1));
                let declared = f.shape().iter().try_fold(elem, |n, &d| n.checked_mul(d));
                match declared {
                    Some(bytes) if bytes <= stored => Ok(f),
                    _ => Err(invalid(format!(
                        "array `{name}` declares shape {:?}, more data than its {stored} stored bytes hold: the file is truncated or damaged",
                        f.shape()
                    ))),
                }
            }
            Ok(None) => Err(DataError::MissingArray {
                path,
                name: name.into(),
                hint: String::new(),
            }),
            Err(e) => Err(DataError::Read {
                path,
                message: e.to_string(),
            }),
        }
    }

    /// A float array (f32 or f64) as f64.
    pub fn floats(&mut self, name: &str) -> Result<Array<f64>, DataError> {
        let path = self.path.clone();
        let file = self.array(name)?;
        let shape = file.shape().to_vec();
        let values = match type_of(&file.dtype()) {
            Some((TypeChar::Float, 4)) => file
                .into_vec::<f32>()
                .map(|v| v.into_iter().map(f64::from).collect()),
            Some((TypeChar::Float, 8)) => file.into_vec::<f64>(),
            _ => return Err(wrong_dtype(&path, name, "float32 or float64", &file)),
        }
        .map_err(|e| read_error(&path, name, e))?;
        Ok(Array { values, shape })
    }

    /// A non-negative integer array (any unsigned or signed integer type) as u64.
    pub fn unsigned(&mut self, name: &str) -> Result<Array<u64>, DataError> {
        let path = self.path.clone();
        let file = self.array(name)?;
        let shape = file.shape().to_vec();
        let bad = |v: i64| DataError::Invalid {
            path: path.clone(),
            message: format!("array `{name}` holds the negative value {v}"),
        };
        let values: Vec<u64> = match type_of(&file.dtype()) {
            Some((TypeChar::Uint, 1)) => file
                .into_vec::<u8>()
                .map(|v| v.into_iter().map(u64::from).collect()),
            Some((TypeChar::Uint, 2)) => file
                .into_vec::<u16>()
                .map(|v| v.into_iter().map(u64::from).collect()),
            Some((TypeChar::Uint, 4)) => file
                .into_vec::<u32>()
                .map(|v| v.into_iter().map(u64::from).collect()),
            Some((TypeChar::Uint, 8)) => file.into_vec::<u64>(),
            Some((TypeChar::Int, w)) => {
                let v: std::io::Result<Vec<i64>> = match w {
                    1 => file
                        .into_vec::<i8>()
                        .map(|v| v.into_iter().map(i64::from).collect()),
                    2 => file
                        .into_vec::<i16>()
                        .map(|v| v.into_iter().map(i64::from).collect()),
                    4 => file
                        .into_vec::<i32>()
                        .map(|v| v.into_iter().map(i64::from).collect()),
                    _ => file.into_vec::<i64>(),
                };
                let v = v.map_err(|e| read_error(&path, name, e))?;
                if let Some(&neg) = v.iter().find(|&&x| x < 0) {
                    return Err(bad(neg));
                }
                Ok(v.into_iter().map(|x| x as u64).collect())
            }
            _ => return Err(wrong_dtype(&path, name, "an integer type", &file)),
        }
        .map_err(|e| read_error(&path, name, e))?;
        Ok(Array { values, shape })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Check an `.npy` header before it is parsed: its length within the entry's `size` and its
/// shape's element count within 64 bits. Anything else odd is left for the parser to report.
fn check_header(mut r: impl std::io::Read, size: u64) -> Result<(), String> {
    let mut head = [0u8; 12];
    if r.read_exact(&mut head[..10]).is_err() || &head[..6] != b"\x93NUMPY" {
        return Ok(());
    }
    let (len, start) = match head[6] {
        1 => (u64::from(u16::from_le_bytes([head[8], head[9]])), 10),
        _ => {
            if r.read_exact(&mut head[10..]).is_err() {
                return Ok(());
            }
            let len = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
            (u64::from(len), 12)
        }
    };
    if start + len > size {
        return Err(format!(
            "its header claims {len} bytes, more than the {size} bytes stored: the file is truncated or damaged"
        ));
    }
    let mut text = vec![0u8; len as usize];
    if r.read_exact(&mut text).is_err() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&text);
    let Some(shape) = text
        .split_once("'shape'")
        .and_then(|(_, rest)| rest.split_once('('))
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(dims, _)| dims)
    else {
        return Ok(());
    };
    let dims: Option<Vec<u64>> = shape
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.parse().ok())
        .collect();
    match dims.map(|d| d.iter().try_fold(1u64, |n, &x| n.checked_mul(x))) {
        Some(None) => Err(format!(
            "its shape ({shape}) has more elements than 64 bits count: the file is damaged"
        )),
        _ => Ok(()),
    }
}

/// The most bytes one array may expand to: `RGENN_MAX_ARRAY_BYTES`, default 16 GiB.
pub fn max_array_bytes() -> u64 {
    std::env::var("RGENN_MAX_ARRAY_BYTES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(16 << 30)
}

fn too_large(name: &str, bytes: u64, limit: u64) -> String {
    format!(
        "array `{name}` expands to {bytes} bytes, more than the limit of {limit} (a zip bomb, or a dataset larger than memory); raise RGENN_MAX_ARRAY_BYTES if the file is genuine"
    )
}

/// One array to write.
pub enum OutArray {
    /// float32 values.
    F32(Vec<f32>),
    /// float64 values.
    F64(Vec<f64>),
    /// uint32 values.
    U32(Vec<u32>),
    /// uint64 values.
    U64(Vec<u64>),
    /// int64 values.
    I64(Vec<i64>),
}

/// Write named arrays with shapes to `path` atomically.
pub fn write(path: &Path, arrays: &[(String, Vec<u64>, OutArray)]) -> std::io::Result<()> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    {
        let mut w = npyz::npz::NpzWriter::new(&mut bytes);
        for (name, shape, data) in arrays {
            // A fixed timestamp keeps files byte-identical across runs (reproducible outputs).
            let opts = zip::write::FileOptions::default()
                .compression_method(zip::CompressionMethod::Stored)
                .last_modified_time(zip::DateTime::default());
            macro_rules! put {
                ($t:ty, $v:expr) => {{
                    let mut a = w
                        .array::<$t>(name, opts)?
                        .default_dtype()
                        .shape(shape)
                        .begin_nd()?;
                    a.extend($v.iter().copied())?;
                    a.finish()?;
                }};
            }
            match data {
                OutArray::F32(v) => put!(f32, v),
                OutArray::F64(v) => put!(f64, v),
                OutArray::U32(v) => put!(u32, v),
                OutArray::U64(v) => put!(u64, v),
                OutArray::I64(v) => put!(i64, v),
            }
        }
    }
    write_atomic(path, bytes.get_ref())
}

/// An array whose dtype is not one the reader accepts.
fn wrong_dtype<R: std::io::Read>(
    path: &Path,
    name: &str,
    expected: &str,
    file: &npyz::NpyFile<R>,
) -> DataError {
    DataError::WrongDtype {
        path: path.to_path_buf(),
        name: name.into(),
        expected: expected.into(),
        found: file.dtype().descr(),
    }
}

/// Reading an array's values failed.
fn read_error(path: &Path, name: &str, e: std::io::Error) -> DataError {
    DataError::Read {
        path: path.to_path_buf(),
        message: format!("array `{name}`: {e}"),
    }
}
