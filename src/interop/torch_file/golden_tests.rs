//! Checkpoints written by real PyTorch (scripts/golden/torch_checkpoint.py) read back
//! with the values PyTorch printed for them (tests/golden/torch/expected.json).

use super::*;
use serde_json::Value as Json;
use std::path::PathBuf;

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/torch")
        .join(name)
}

fn expected() -> Json {
    let text = std::fs::read_to_string(golden("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Compares a tensor with PyTorch's dtype, shape, sum and first values.
fn check(name: &str, t: &Tensor, e: &Json) {
    let shape: Vec<usize> = e["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(t.shape, shape, "{name}");
    let values: Vec<f64> = match (&t.data, e["dtype"].as_str().unwrap()) {
        (TensorData::F32(v), "float32" | "float64" | "float16" | "bfloat16") => {
            v.iter().map(|&x| f64::from(x)).collect()
        }
        (TensorData::I64(v), "int64" | "int32") => v.iter().map(|&x| x as f64).collect(),
        (data, dtype) => panic!("{name}: {dtype} read as {data:?}"),
    };
    assert_eq!(values.len(), shape.iter().product::<usize>(), "{name}");
    let sum: f64 = values.iter().sum();
    let want = e["sum"].as_f64().unwrap();
    // float64 tensors lose digits as f32; others are exact, summed in another order.
    let tolerance = 1e-6 * (1.0 + want.abs());
    assert!(
        (sum - want).abs() <= tolerance,
        "{name}: sum {sum} vs {want}"
    );
    for (i, (got, want)) in values
        .iter()
        .zip(e["first"].as_array().unwrap())
        .enumerate()
    {
        let want = want.as_f64().unwrap();
        // Compared as f32: serde_json may round the last bit of an f64.
        let ok = if e["dtype"] == "float64" {
            (got - want).abs() <= 1e-7 * (1.0 + want.abs())
        } else {
            *got as f32 == want as f32
        };
        assert!(ok, "{name}[{i}]: {got} vs {want}");
    }
}

#[test]
fn the_tutorial_models_state_dict_reads_as_pytorch_wrote_it() {
    let path = golden("model.pkl");
    let entries = state_dict(read_torch_file(&path).unwrap(), &path).unwrap();
    let e = expected();
    let want = e["model.pkl"].as_object().unwrap();
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), want.len());
    assert_eq!(
        names,
        [
            "linear1.weight",
            "linear1.bias",
            "linear2.weight",
            "linear2.bias",
            "linear3.weight",
            "linear3.bias"
        ]
    );
    for (name, t) in &entries {
        check(name, t, &want[name]);
    }
}

#[test]
fn the_optimizer_state_dict_reads_with_its_groups_and_momentum() {
    let path = golden("optimizer.pkl");
    let v = read_torch_file(&path).unwrap();
    let e = expected();
    let e = &e["optimizer.pkl"];
    let Some(Value::List(groups)) = v.get("param_groups") else {
        panic!("{v:?}")
    };
    assert_eq!(groups.len(), 1);
    let g = &groups[0];
    assert_eq!(g.get("lr"), Some(&Value::Float(0.8)));
    assert_eq!(g.get("momentum"), Some(&Value::Float(0.9)));
    assert_eq!(g.get("dampening"), Some(&Value::Int(0)));
    assert_eq!(g.get("nesterov"), Some(&Value::Bool(false)));
    assert_eq!(g.get("foreach"), Some(&Value::None));
    let params: Vec<Value> = (0..6).map(Value::Int).collect();
    assert_eq!(g.get("params"), Some(&Value::List(params)));
    assert_eq!(e["param_groups"][0]["lr"], 0.8);

    let Some(Value::Dict(state)) = v.get("state") else {
        panic!("{v:?}")
    };
    assert_eq!(state.len(), 6);
    for (i, (key, per_param)) in state.iter().enumerate() {
        assert_eq!(key, &Value::Int(i as i64));
        let Some(Value::Tensor(buffer)) = per_param.get("momentum_buffer") else {
            panic!("{per_param:?}")
        };
        check(
            &format!("state.{i}"),
            buffer,
            &e["state"][i.to_string()]["momentum_buffer"],
        );
    }
    // Not a state dict: says so and names the file.
    let err = state_dict(v, &path).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}: not a state dict", path.display())),
        "{err}"
    );
    assert!(err.contains("'state' is a dict, not a tensor"), "{err}");
}

#[test]
fn batch_norm_views_and_every_dtype_read_as_pytorch_wrote_them() {
    let path = golden("bn.pkl");
    let entries = state_dict(read_torch_file(&path).unwrap(), &path).unwrap();
    let e = expected();
    let want = e["bn.pkl"].as_object().unwrap();
    // In the order the script put them in the dict.
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "0.weight",
            "0.bias",
            "1.weight",
            "1.bias",
            "1.running_mean",
            "1.running_var",
            "1.num_batches_tracked",
            "conv_weight_t",
            "conv_weight_tail",
            "double",
            "half",
            "bfloat16",
            "int32"
        ]
    );
    assert_eq!(entries.len(), want.len());
    for (name, t) in &entries {
        check(name, t, &want[name]);
    }
    let get = |n: &str| &entries.iter().find(|(k, _)| k == n).unwrap().1;
    assert_eq!(get("1.num_batches_tracked").data, TensorData::I64(vec![1]));
    assert!(get("1.num_batches_tracked").shape.is_empty());
    // The saved transpose is the conv weight (3, 1, 3, 3) as a (3, 9) matrix, transposed:
    // a view of the weight's storage with strides (1, 9), gathered row-major.
    let (TensorData::F32(w), TensorData::F32(wt)) =
        (&get("0.weight").data, &get("conv_weight_t").data)
    else {
        panic!()
    };
    assert_eq!(want["conv_weight_t"]["contiguous"], false);
    assert_eq!(get("conv_weight_t").shape, vec![9, 3]);
    for i in 0..9 {
        for j in 0..3 {
            assert_eq!(wt[i * 3 + j], w[j * 9 + i], "({i}, {j})");
        }
    }
    let TensorData::F32(tail) = &get("conv_weight_tail").data else {
        panic!()
    };
    assert_eq!(tail.as_slice(), &w[9..]);
    assert_eq!(
        get("half").data,
        TensorData::F32(vec![0.5, -2.0, 65504.0, 2f32.powi(-23)])
    );
    assert_eq!(
        get("int32").data,
        TensorData::I64(vec![1, -2, 3, 2147483647])
    );
}

#[test]
fn a_checkpoint_calling_os_system_is_refused_naming_the_global() {
    let path = golden("evil.pkl");
    let err = read_torch_file(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: evil/data.pkl byte 2: refuses the pickle global 'posix system': \
             only tensors and dicts are read",
            path.display()
        )
    );
}

#[test]
fn read_torch_bytes_reads_what_read_torch_file_reads() {
    let path = golden("bn.pkl");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        read_torch_bytes(&bytes, &path).unwrap(),
        read_torch_file(&path).unwrap()
    );
}
