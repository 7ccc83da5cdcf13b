//! Arrays across the boundary: the runtime's named output arrays to a dict of numpy arrays (the
//! vectors are moved into numpy, not copied) and a dict of parameter arrays to `Params`.

use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{IntoPyArray, PyReadonlyArrayDyn};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use rgenn_codegen::ir::{Delays, Network};
use rgenn_runtime::data::npz::OutArray;
use rgenn_runtime::sim::init::{Params, param_shape};

use crate::DataError;

/// `arrays` (name, shape, values) as a dict of numpy arrays of those shapes, in order.
pub(crate) fn to_dict<'py>(
    py: Python<'py>,
    arrays: Vec<(String, Vec<u64>, OutArray)>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (name, shape, values) in arrays {
        let shape: Vec<usize> = shape.iter().map(|&n| n as usize).collect();
        let array = match values {
            OutArray::F32(v) => shaped(py, &shape, v)?,
            OutArray::F64(v) => shaped(py, &shape, v)?,
            OutArray::U32(v) => shaped(py, &shape, v)?,
            OutArray::U64(v) => shaped(py, &shape, v)?,
            OutArray::I64(v) => shaped(py, &shape, v)?,
        };
        dict.set_item(name, array)?;
    }
    Ok(dict)
}

fn shaped<'py, T: numpy::Element>(
    py: Python<'py>,
    shape: &[usize],
    values: Vec<T>,
) -> PyResult<Bound<'py, PyAny>> {
    let a = ArrayD::from_shape_vec(IxDyn(shape), values)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    Ok(a.into_pyarray(py).into_any())
}

/// `base` with the arrays of `dict` in its place: `<conn>.weight` and `<conn>.delay` (ms) as
/// float64 arrays shaped like the parameters; `<conn>.pre` and `<conn>.post` (what
/// `Network.params` returns for sparse connections) are ignored; any other name is an error.
pub(crate) fn params_from(
    net: &Network,
    base: &Params,
    dict: &Bound<'_, PyDict>,
) -> PyResult<Params> {
    let mut params = base.clone();
    for (key, value) in dict.iter() {
        let name: String = key.extract()?;
        let (conn, suffix) = name.rsplit_once('.').unwrap_or((name.as_str(), ""));
        let Some(i) = net.connections.iter().position(|c| c.name == conn) else {
            return Err(unknown(net, &name));
        };
        let c = &net.connections[i];
        let target = match suffix {
            "weight" => &mut params.weights[i],
            "delay" if matches!(c.delays, Delays::Uniform { .. }) => {
                return Err(DataError::new_err(format!(
                    "`{name}` given, but connection `{conn}` has one fixed delay; give it per-synapse delays (e.g. `learn: [delay]` or a delay initialiser) to set them"
                )));
            }
            "delay" => &mut params.delays_ms[i],
            "pre" | "post" => continue,
            _ => return Err(unknown(net, &name)),
        };
        let array: PyReadonlyArrayDyn<'_, f64> = value.extract().map_err(|_| {
            DataError::new_err(format!("`{name}` must be a float32 or float64 array"))
        })?;
        let shape: Vec<u64> = array.as_array().shape().iter().map(|&n| n as u64).collect();
        let expected = param_shape(net, c);
        if shape != expected {
            return Err(DataError::new_err(format!(
                "`{name}` has shape {shape:?}; expected {expected:?}"
            )));
        }
        *target = array.as_array().iter().copied().collect();
    }
    Ok(params)
}

fn unknown(net: &Network, name: &str) -> PyErr {
    let mut known = Vec::new();
    for c in &net.connections {
        known.push(format!("`{}.weight`", c.name));
        if matches!(c.delays, Delays::PerSynapse { .. }) {
            known.push(format!("`{}.delay`", c.name));
        }
    }
    DataError::new_err(format!(
        "`{name}` is not a parameter of this network (it has {})",
        known.join(", ")
    ))
}
