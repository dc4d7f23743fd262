//! A YAML document as deployment configs are read: strings, mappings and
//! sequences, every other scalar reduced to [`Node::Other`]. Built by
//! serde_saphyr as a `serde_json::Value` would be (same visitor calls, same
//! errors, so the same documents are refused), without the hashed, ordered
//! maps and number values the extractors never look at: parsing Kubernetes
//! YAML into `Value` cost more than reading it.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

#[derive(Debug, PartialEq)]
pub enum Node {
    Str(String),
    /// Entries in document order (serde_saphyr refuses duplicate keys).
    Map(Vec<(String, Node)>),
    Seq(Vec<Node>),
    /// A boolean, number or null.
    Other,
}

impl Node {
    /// The value of `key`, in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The value at a path of keys (`["spec", "predictor"]`).
    pub fn at(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(String, Node)]> {
        match self {
            Node::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match self {
            Node::Seq(s) => Some(s),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

/// `serde_json::Value`'s visitor, method for method, keeping less.
struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Node, E> {
        // Refused where `Value` refuses it: out of a JSON number's range.
        let de = serde::de::value::I128Deserializer::<E>::new(v);
        serde_json::Number::deserialize(de).map(|_| Node::Other)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Node, E> {
        let de = serde::de::value::U128Deserializer::<E>::new(v);
        serde_json::Number::deserialize(de).map(|_| Node::Other)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_seq<V: SeqAccess<'de>>(self, mut seq: V) -> Result<Node, V::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<V: MapAccess<'de>>(self, mut map: V) -> Result<Node, V::Error> {
        // Keys as `Value` reads them: the first through `deserialize_str`,
        // the others as `String`s.
        let mut entries = Vec::new();
        if let Some(key) = map.next_key_seed(KeyString)? {
            entries.push((key, map.next_value()?));
            while let Some(entry) = map.next_entry()? {
                entries.push(entry);
            }
        }
        Ok(Node::Map(entries))
    }
}

/// A mapping key, read as `serde_json`'s key classifier reads it.
struct KeyString;

impl<'de> serde::de::DeserializeSeed<'de> for KeyString {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyString {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_string<E>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::Node;
    use proptest::prelude::*;
    use serde_json::Value;

    /// What `Value` keeps that a [`Node`] keeps too.
    fn node_of(value: Value) -> Node {
        match value {
            Value::String(s) => Node::Str(s),
            Value::Array(items) => Node::Seq(items.into_iter().map(node_of).collect()),
            Value::Object(map) => {
                Node::Map(map.into_iter().map(|(k, v)| (k, node_of(v))).collect())
            }
            _ => Node::Other,
        }
    }

    /// The documents as `Value`s made them, or `None` where they refused.
    fn both(text: &str) -> (Option<Vec<Node>>, Option<Vec<Node>>) {
        let by_value = serde_saphyr::from_str_multiple::<Value, Vec<Value>>(text)
            .ok()
            .map(|docs| docs.into_iter().map(node_of).collect());
        let by_node = serde_saphyr::from_str_multiple::<Node, Vec<Node>>(text).ok();
        (by_value, by_node)
    }

    #[test]
    fn nodes_are_what_values_were() {
        let cases = [
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: pytorch/torchserve:0.9\n",
            "a: 1\na: 2\n",
            "base: &b {image: x, tag: 1}\nnext:\n  <<: *b\n  image: y\n",
            "- &a [1, 2]\n- *a\n- *missing\n",
            "big: 340282366920938463463374607431768211455\nneg: -170141183460469231731687303715884105728\n",
            "f: .nan\ng: -.inf\nh: 0x1F\ni: +12\nj: 0o17\nk: 1_000\n",
            "yes: no\non: off\n~: null\n1: one\n[1, 2]: seq\n? {a: b}\n: map\n",
            "t: !!str 12\nu: !custom x\nv: !!binary aGk=\n",
            "---\nkind: A\n...\n---\n- 1\n--- |\n  text\n",
            "jobs:\n  b:\n    steps:\n    - uses: actions/checkout@v4\n",
            "a: [unclosed\n",
            "\t- tab\n",
            "",
            "# only a comment\n",
        ];
        for text in cases {
            let (value, node) = both(text);
            assert_eq!(value, node, "{text:?}");
        }
    }

    const PIECES: &[&str] = &[
        "a",
        "b",
        "image",
        "kind",
        ": ",
        ":",
        "- ",
        "-",
        "\n",
        "\n",
        "  ",
        "    ",
        "1",
        "1.5",
        "true",
        "null",
        "~",
        "0x10",
        "99999999999999999999999",
        ".inf",
        "&x ",
        "*x",
        "<<: ",
        "!!str ",
        "!t ",
        "? ",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "'q'",
        "\"d\\n\"",
        "|\n",
        ">\n",
        "---\n",
        "...\n",
        "#c",
        "\t",
        "é",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn nodes_are_what_values_were_on_random_fragments(
            picks in prop::collection::vec(any::<u8>(), 0..40),
        ) {
            let text: String = picks.iter().map(|&p| PIECES[p as usize % PIECES.len()]).collect();
            let (value, node) = both(&text);
            prop_assert_eq!(value, node, "{:?}", text);
        }
    }
}
