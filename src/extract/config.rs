//! Deployment and cloud configuration: Kubernetes and KServe/Seldon YAML,
//! GitHub Actions workflows, Triton `config.pbtxt` and Terraform.
//! Keys (`config-key` signals): `k8s:Kind`, `kserve:model-format=pytorch`,
//! `action:owner/name`, `triton:platform=…`, `terraform:resource_type`,
//! `terraform:provider=google`; container images as `image:` signals.

use super::docker::image_name;
use super::manifest::Locator;
use super::yaml_block;
use super::yaml_tree::Node;
use crate::signal::{Extracted, Signal, SignalKind, to_u32};
use serde_json::Value;

fn push(out: &mut Extracted, loc: &Locator, kind: SignalKind, key: String, near: &str) {
    let (line, column) = loc.find(near);
    out.push(Signal::new(kind, key, line, column));
}

/// Any other YAML file: only Kubernetes objects and CI workflows are read;
/// anything else (and Helm templates that are not YAML yet) is left alone.
pub fn yaml(text: &str, out: &mut Extracted) {
    let kubernetes = text.contains("apiVersion") && text.contains("kind");
    let workflow = text.contains("uses:");
    let images = text.contains("image:") || text.contains("repository:");
    if !kubernetes && !workflow && !images {
        return;
    }
    let docs = yaml_block::documents(text)
        .or_else(|| serde_saphyr::from_str_multiple::<Node, Vec<Node>>(text).ok());
    let Some(docs) = docs else {
        return;
    };
    let loc = Locator::new(text);
    for doc in &docs {
        if let Some(kind) = doc.get("kind").and_then(Node::as_str)
            && doc.get("apiVersion").is_some()
        {
            kubernetes_object(doc, kind, &loc, out);
        } else {
            // Helm values and other deployment YAML name images too.
            image_signals(doc, &loc, out);
        }
        if let Some(jobs) = doc.get("jobs").and_then(Node::as_map) {
            for (_, job) in jobs {
                let steps = job.get("steps").and_then(Node::as_seq);
                for uses in steps
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.get("uses").and_then(Node::as_str))
                {
                    let action = uses.split('@').next().unwrap_or(uses);
                    let action: Vec<&str> = action.split('/').take(2).collect();
                    push(
                        out,
                        &loc,
                        SignalKind::ConfigKey,
                        format!("action:{}", action.join("/")),
                        uses,
                    );
                }
            }
        }
    }
}

fn kubernetes_object(doc: &Node, kind: &str, loc: &Locator, out: &mut Extracted) {
    push(
        out,
        loc,
        SignalKind::ConfigKey,
        format!("k8s:{kind}"),
        &format!("kind: {kind}"),
    );
    if kind == "InferenceService"
        && let Some(predictor) = doc
            .at(&["spec", "predictor"])
            .filter(|p| p.as_map().is_some())
    {
        let format = predictor
            .get("model")
            .and_then(|m| m.at(&["modelFormat", "name"]))
            .and_then(Node::as_str)
            .map(str::to_string)
            .or_else(|| {
                [
                    "tensorflow",
                    "pytorch",
                    "triton",
                    "onnx",
                    "sklearn",
                    "xgboost",
                    "huggingface",
                ]
                .into_iter()
                .find(|f| predictor.get(f).is_some())
                .map(str::to_string)
            });
        if let Some(format) = format {
            let key = format!("kserve:model-format={}", format.to_ascii_lowercase());
            push(out, loc, SignalKind::ConfigKey, key, &format);
        }
    }
    image_signals(doc, loc, out);
}

fn image_signals(doc: &Node, loc: &Locator, out: &mut Extracted) {
    let mut images = Vec::new();
    collect_images(doc, &mut images, 0);
    for image in images {
        if let Some(name) = image_name(image) {
            push(out, loc, SignalKind::Image, format!("image:{name}"), image);
        }
    }
}

/// Values of `image:` keys anywhere in an object (pod templates nest deeply).
fn collect_images<'v>(value: &'v Node, out: &mut Vec<&'v str>, depth: u32) {
    if depth > 32 {
        return;
    }
    match value {
        Node::Map(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("image", Node::Str(s)) => out.push(s),
                    // Helm charts: `image: {repository: tensorflow/serving, tag: …}`.
                    ("image", Node::Map(_)) => {
                        if let Some(Node::Str(repo)) = v.get("repository") {
                            out.push(repo);
                        }
                    }
                    _ => collect_images(v, out, depth + 1),
                }
            }
        }
        Node::Seq(items) => items.iter().for_each(|v| collect_images(v, out, depth + 1)),
        _ => {}
    }
}

/// Triton `config.pbtxt`: `platform: "pytorch_libtorch"`, `backend: "onnxruntime"`.
pub fn triton(text: &str, out: &mut Extracted) {
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        for field in ["platform", "backend"] {
            if let Some(rest) = line.strip_prefix(field)
                && let Some(value) = rest.trim_start().strip_prefix(':')
            {
                let value = value.trim().trim_matches('"');
                if !value.is_empty() {
                    let key = format!("triton:{field}={value}");
                    out.push(Signal::new(SignalKind::ConfigKey, key, to_u32(i + 1), 1));
                }
            }
        }
    }
}

/// Terraform: `provider "google"` and `resource "google_vertex_ai_endpoint" "x"`.
pub fn terraform(text: &str, out: &mut Extracted) {
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        let (block, rest) = match line.split_once(char::is_whitespace) {
            Some(parts) => parts,
            None => continue,
        };
        let Some(name) = rest
            .trim_start()
            .strip_prefix('"')
            .and_then(|r| r.split('"').next())
        else {
            continue;
        };
        let key = match block {
            "provider" => format!("terraform:provider={name}"),
            "resource" | "data" => format!("terraform:{name}"),
            _ => continue,
        };
        out.push(Signal::new(SignalKind::ConfigKey, key, to_u32(i + 1), 1));
    }
}

/// App Engine `app.yaml`: recognised by its `runtime:` key.
pub fn app_yaml(text: &str, out: &mut Extracted) {
    let Ok(doc) = serde_saphyr::from_str::<Value>(text) else {
        return;
    };
    if let Some(runtime) = doc.get("runtime").and_then(Value::as_str) {
        let loc = Locator::new(text);
        push(
            out,
            &loc,
            SignalKind::ConfigKey,
            format!("appengine:runtime={runtime}"),
            "runtime",
        );
    }
}

/// TorchServe `config.properties`: recognised by its keys, since the file name
/// is common to many tools.
pub fn properties(text: &str, out: &mut Extracted) {
    const TORCHSERVE_KEYS: [&str; 4] = [
        "inference_address",
        "management_address",
        "model_store",
        "load_models",
    ];
    if let Some((i, _)) = text.lines().enumerate().find(|(_, l)| {
        TORCHSERVE_KEYS
            .iter()
            .any(|k| l.trim_start().starts_with(k))
    }) {
        out.push(Signal::new(
            SignalKind::ConfigKey,
            "torchserve:config",
            to_u32(i + 1),
            1,
        ));
    }
}

/// TF.js `model.json`: a layers or graph model with a weights manifest.
pub fn tfjs_model(text: &str, out: &mut Extracted) {
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let format = doc.get("format").and_then(Value::as_str).unwrap_or("");
    if doc.get("weightsManifest").is_some()
        && (format.ends_with("-model") || doc.get("modelTopology").is_some())
    {
        let loc = Locator::new(text);
        push(
            out,
            &loc,
            SignalKind::ConfigKey,
            "tfjs:model-json".into(),
            "\"weightsManifest\"",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(out: &Extracted) -> Vec<String> {
        let mut k: Vec<String> = out.line_keys();
        k.sort();
        k
    }

    #[test]
    fn kserve_and_deployments() {
        let text = "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: fraud\nspec:\n  predictor:\n    model:\n      modelFormat:\n        name: pytorch\n      storageUri: gs://models/fraud\n---\napiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: api\n          image: gcr.io/acme/api:1.2\n";
        let mut out = Extracted::default();
        yaml(text, &mut out);
        assert_eq!(
            keys(&out),
            [
                "13:k8s:Deployment",
                "20:image:gcr.io/acme/api",
                "2:k8s:InferenceService",
                "9:kserve:model-format=pytorch"
            ]
        );
    }

    #[test]
    fn helm_values_images() {
        let mut out = Extracted::default();
        yaml(
            "replicaCount: 3\nimage:\n  repository: tensorflow/serving\n  tag: 2.16.1\n",
            &mut out,
        );
        assert_eq!(keys(&out), ["3:image:tensorflow/serving"]);
    }

    #[test]
    fn workflow_actions() {
        let text = "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: google-github-actions/auth@v2\n";
        let mut out = Extracted::default();
        yaml(text, &mut out);
        assert_eq!(
            keys(&out),
            [
                "6:action:actions/checkout",
                "7:action:google-github-actions/auth"
            ]
        );
    }

    #[test]
    fn app_engine() {
        let mut out = Extracted::default();
        app_yaml("runtime: python311\ninstance_class: F4\n", &mut out);
        assert_eq!(keys(&out), ["1:appengine:runtime=python311"]);
    }

    #[test]
    fn torchserve_and_tfjs() {
        let mut out = Extracted::default();
        properties(
            "# TorchServe\ninference_address=http://0.0.0.0:8080\n",
            &mut out,
        );
        assert_eq!(keys(&out), ["2:torchserve:config"]);
        let mut out = Extracted::default();
        properties("spring.datasource.url=jdbc:x\n", &mut out);
        assert!(out.signals.is_empty());
        let mut out = Extracted::default();
        tfjs_model(
            "{\"format\": \"layers-model\",\n \"modelTopology\": {},\n \"weightsManifest\": []}",
            &mut out,
        );
        assert_eq!(keys(&out), ["3:tfjs:model-json"]);
    }

    #[test]
    fn triton_and_terraform() {
        let mut out = Extracted::default();
        triton(
            "name: \"detector\"\nplatform: \"tensorflow_savedmodel\"\nmax_batch_size: 8\n",
            &mut out,
        );
        assert_eq!(keys(&out), ["2:triton:platform=tensorflow_savedmodel"]);
        let mut out = Extracted::default();
        terraform(
            "provider \"google\" {\n  project = \"acme\"\n}\nresource \"google_vertex_ai_endpoint\" \"main\" {\n}\n",
            &mut out,
        );
        assert_eq!(
            keys(&out),
            [
                "1:terraform:provider=google",
                "4:terraform:google_vertex_ai_endpoint"
            ]
        );
    }
}
