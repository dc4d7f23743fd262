//! The distribution-name ↔ import-name map of `rules/packages.toml`.

use super::model::PackageDef;
use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;

/// PEP 503 normalisation: lowercase, runs of `-`, `_`, `.` become one `-`.
pub fn normalize_dist(name: &str) -> String {
    normalized_dist(name).into_owned()
}

/// [`normalize_dist`], borrowing a name that is normal already (most
/// imports' top modules: `numpy`, `torch`).
fn normalized_dist(name: &str) -> Cow<'_, str> {
    if name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len());
    each_normal_char(name, |c| out.push(c));
    Cow::Owned(out)
}

/// Gives `push` each character of `name`'s PEP 503 normal form, in order.
fn each_normal_char(name: &str, mut push: impl FnMut(char)) {
    let (mut dash, mut any) = (false, false);
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            dash = true;
            continue;
        }
        if dash && any {
            push('-');
        }
        (dash, any) = (false, true);
        // The common case without the Unicode tables' iterator.
        if c.is_ascii() {
            push(c.to_ascii_lowercase());
        } else {
            c.to_lowercase().for_each(&mut push);
        }
    }
}

/// Whether `name` normalises to a key of `dists`; without allocating for
/// an ASCII name of up to 64 bytes (a scan asks this of most imports).
pub fn normalizes_into<V>(name: &str, dists: &HashMap<String, V>) -> bool {
    // Most imports name a lowercase module without separators: its own form.
    if name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return dists.contains_key(name);
    }
    let mut buffer = [0u8; 64];
    match ascii_normalized(name, &mut buffer) {
        Some(normal) => dists.contains_key(normal),
        None => dists.contains_key(normalized_dist(name).as_ref()),
    }
}

/// [`normalized_dist`] of an ASCII name that fits `buffer`, written there
/// (each ASCII byte gives at most one, so the form fits too).
fn ascii_normalized<'b>(name: &str, buffer: &'b mut [u8; 64]) -> Option<&'b str> {
    if !name.is_ascii() || name.len() > buffer.len() {
        return None;
    }
    let mut len = 0;
    each_normal_char(name, |c| {
        buffer[len] = c as u8;
        len += 1;
    });
    std::str::from_utf8(&buffer[..len]).ok()
}

pub struct Packages {
    /// Normalised name → the import names of the first def of that name.
    imports: HashMap<String, Vec<String>>,
    /// Normalised alias (and name) → canonical name.
    canonical: HashMap<String, String>,
    /// Conda package name → canonical PyPI name.
    conda: HashMap<String, String>,
    /// Import module (dotted, as listed) → canonical name.
    by_import: HashMap<String, String>,
}

impl Packages {
    pub fn new(defs: Vec<PackageDef>) -> Packages {
        let mut canonical = HashMap::default();
        let mut conda = HashMap::default();
        let mut by_import = HashMap::default();
        let mut imports = HashMap::default();
        for def in defs {
            let name = normalize_dist(&def.name);
            canonical.insert(name.clone(), name.clone());
            for alias in &def.aliases {
                canonical.insert(normalize_dist(alias), name.clone());
            }
            for c in &def.conda {
                conda.insert(normalize_dist(c), name.clone());
            }
            for module in &def.imports {
                by_import.insert(module.clone(), name.clone());
            }
            imports.entry(name).or_insert(def.imports);
        }
        Packages {
            imports,
            canonical,
            conda,
            by_import,
        }
    }

    /// The canonical distribution for any of its PyPI names.
    pub fn canonical(&self, dist: &str) -> String {
        let n = normalize_dist(dist);
        self.canonical.get(&n).cloned().unwrap_or(n)
    }

    /// `pypi:tensorflow-cpu` → `pypi:tensorflow`; `conda:pytorch` → `pypi:torch`.
    pub fn canonical_key(&self, key: &str) -> String {
        if let Some(name) = key.strip_prefix("pypi:") {
            return format!("pypi:{}", self.canonical(name));
        }
        if let Some(name) = key.strip_prefix("conda:") {
            let n = normalize_dist(name);
            return match self.conda.get(&n) {
                Some(pypi) => format!("pypi:{pypi}"),
                // Most conda-forge packages share the PyPI name.
                None => format!("pypi:{}", self.canonical(&n)),
            };
        }
        key.to_string()
    }

    /// The import modules listed, dotted as listed, with their distribution.
    pub fn import_modules(&self) -> impl Iterator<Item = (&str, &str)> {
        self.by_import.iter().map(|(m, d)| (m.as_str(), d.as_str()))
    }

    /// The import names a distribution provides.
    pub fn imports_of(&self, canonical: &str) -> Vec<String> {
        match self.imports.get(canonical) {
            Some(imports) => imports.clone(),
            None => vec![canonical.replace('-', "_")],
        }
    }

    /// The distribution that provides an imported module (longest listed
    /// prefix). Borrowed in the common cases: a scan asks for every import.
    pub fn dist_of_import<'a>(&'a self, module: &'a str) -> Cow<'a, str> {
        let mut best: Option<&String> = None;
        for i in super::prefix_ends(module) {
            if let Some(d) = self.by_import.get(&module[..i]) {
                best = Some(d);
            }
        }
        match best {
            Some(d) => Cow::Borrowed(d),
            None => normalized_dist(super::top_module(module)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_dist;

    #[test]
    fn dist_of_an_unlisted_import_is_its_normalised_top_module() {
        let packages = super::Packages::new(Vec::new());
        assert_eq!(packages.dist_of_import("numpy.linalg"), "numpy");
        assert_eq!(packages.dist_of_import("My_Pkg.sub"), "my-pkg");
        assert_eq!(packages.dist_of_import("h5py"), "h5py");
    }

    proptest::proptest! {
        /// Normalised without allocating as with: the same text.
        #[test]
        fn ascii_names_normalise_in_place_as_they_do_allocated(name in "[a-zA-Z0-9._-]{0,70}") {
            let mut buffer = [0u8; 64];
            let in_place = super::ascii_normalized(&name, &mut buffer).map(str::to_string);
            if name.len() <= 64 {
                proptest::prop_assert_eq!(in_place, Some(normalize_dist(&name)));
            } else {
                proptest::prop_assert_eq!(in_place, None);
            }
        }

        /// A name is in a map of normalised names when its own normal form
        /// is, whichever path the check takes.
        #[test]
        fn a_name_normalizes_into_a_map_holding_its_normal_form(
            name in "[a-zA-Z0-9._é-]{0,70}",
            other in "[a-z0-9._-]{0,12}",
            own in proptest::bool::ANY,
        ) {
            let mut dists = super::HashMap::default();
            dists.insert(normalize_dist(&other), ());
            if own {
                dists.insert(normalize_dist(&name), ());
            }
            let expected = dists.contains_key(&normalize_dist(&name));
            proptest::prop_assert_eq!(super::normalizes_into(&name, &dists), expected);
        }
    }

    #[test]
    fn pep503() {
        assert_eq!(normalize_dist("Friendly-Bard"), "friendly-bard");
        assert_eq!(normalize_dist("FRIENDLY_BARD"), "friendly-bard");
        assert_eq!(normalize_dist("friendly.__bard"), "friendly-bard");
        assert_eq!(normalize_dist("tf_nightly"), "tf-nightly");
        // Separators at either end give no dash.
        assert_eq!(normalize_dist("_Private_Pkg."), "private-pkg");
    }
}
