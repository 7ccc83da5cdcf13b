//! Reading and writing NumPy `.npz` archives: arrays by name with dtype and shape checks.

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
        let names: Vec<String> = self
            .archive
            .array_names()
            .map(|n| format!("`{n}`"))
            .collect();
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

    /// The array `name`, ready to read.
    fn array(&mut self, name: &str) -> Result<npyz::NpyFile<zip::read::ZipFile<'_>>, DataError> {
        if !self.has(name) {
            return Err(self.missing(name));
        }
        let path = self.path.clone();
        match self.archive.by_name(name) {
            Ok(Some(f)) => Ok(f),
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
        .map_err(|e| read_error(&path, e))?;
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
                let v = v.map_err(|e| read_error(&path, e))?;
                if let Some(&neg) = v.iter().find(|&&x| x < 0) {
                    return Err(bad(neg));
                }
                Ok(v.into_iter().map(|x| x as u64).collect())
            }
            _ => return Err(wrong_dtype(&path, name, "an integer type", &file)),
        }
        .map_err(|e| read_error(&path, e))?;
        Ok(Array { values, shape })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
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
fn read_error(path: &Path, e: std::io::Error) -> DataError {
    DataError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}
