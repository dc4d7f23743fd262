//! Walks the tree with `ignore`'s parallel walker and classifies each regular
//! file by its name alone. Nothing is read here.

use ignore::{WalkBuilder, WalkState};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The file families fwlint has an extractor for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    Python,
    SetupPy,
    Notebook,
    Requirements,
    Pyproject,
    SetupCfg,
    Pipfile,
    CondaEnv,
    Readme,
    /// `build.gradle(.kts)`, `settings.gradle(.kts)`.
    Gradle,
    /// `gradle/libs.versions.toml`.
    VersionCatalog,
    Podfile,
    PackageSwift,
    PackageJson,
    Pubspec,
    Dockerfile,
    /// `docker-compose.yml`, `compose.yaml`.
    Compose,
    /// C, C++ and Arduino sources and headers.
    CSource,
    /// `CMakeLists.txt`, `*.cmake`.
    CMake,
    PlatformIo,
    ArduinoLibrary,
    /// ESP-IDF `idf_component.yml`.
    IdfComponent,
    /// `Cargo.toml` of a Rust package or workspace.
    CargoToml,
    /// JavaScript and TypeScript sources.
    JsSource,
    /// Other YAML: Kubernetes objects, CI workflows.
    Yaml,
    /// Triton `config.pbtxt`.
    TritonConfig,
    /// Terraform `*.tf`.
    Terraform,
    /// Rust sources: `use` and `extern crate`.
    RustSource,
    /// `config.properties` (TorchServe, among others).
    Properties,
    /// `model.json` (TF.js, among others).
    ModelJson,
    /// A model file whose first bytes are checked (`.tflite`, `.h5`, `.pt`…).
    Artifact,
    /// Zephyr `west.yml`.
    WestManifest,
    /// App Engine `app.yaml`.
    AppYaml,
    /// No extractor; the path alone may still be a signal.
    Other,
}

impl FileKind {
    /// Bytes read at most; larger files are skipped with a diagnostic.
    pub fn size_cap(self) -> u64 {
        const MIB: u64 = 1024 * 1024;
        match self {
            // Only a prefix is read, whatever the size.
            FileKind::Artifact => u64::MAX,
            FileKind::Python | FileKind::SetupPy => 8 * MIB,
            // Model arrays compiled into firmware make large sources.
            FileKind::CSource => 16 * MIB,
            FileKind::Notebook => 64 * MIB,
            FileKind::Readme => 2 * MIB,
            // Larger YAML is generated (CRD schemas, install bundles) and slow
            // to parse; it is skipped quietly.
            FileKind::Yaml => MIB / 4,
            // TF.js topologies can be large; the weights live in shards.
            FileKind::ModelJson => 16 * MIB,
            FileKind::JsSource => 2 * MIB,
            _ => MIB,
        }
    }

    /// Bytes read at most from a file of this kind.
    pub fn read_limit(self) -> u64 {
        match self {
            FileKind::Artifact => crate::extract::artifact::PREFIX,
            kind => kind.size_cap(),
        }
    }

    /// Whether a file of this kind over its size cap deserves a diagnostic:
    /// not for kinds that are often generated (YAML, JS bundles, C arrays).
    pub fn reports_oversize(self) -> bool {
        !matches!(
            self,
            FileKind::Yaml
                | FileKind::JsSource
                | FileKind::CSource
                | FileKind::RustSource
                | FileKind::ModelJson
        )
    }

    /// Python dependency manifests (FW202 looks for declarations there).
    pub fn is_manifest(self) -> bool {
        matches!(
            self,
            FileKind::SetupPy
                | FileKind::Requirements
                | FileKind::Pyproject
                | FileKind::SetupCfg
                | FileKind::Pipfile
                | FileKind::CondaEnv
        )
    }

    /// Files whose folder is a project of its own (an app, a package, an image).
    pub fn starts_unit(self) -> bool {
        self.is_manifest()
            || matches!(
                self,
                FileKind::Gradle
                    | FileKind::Podfile
                    | FileKind::PackageSwift
                    | FileKind::PackageJson
                    | FileKind::Pubspec
                    | FileKind::Dockerfile
                    | FileKind::CargoToml
                    | FileKind::PlatformIo
                    | FileKind::ArduinoLibrary
            )
    }

    pub fn is_code(self) -> bool {
        matches!(
            self,
            FileKind::Python | FileKind::SetupPy | FileKind::Notebook
        )
    }
}

/// Classifies a relative `/`-separated path by name.
pub fn classify(rel: &str) -> FileKind {
    // Cut at the last `/` found byte by byte, and no lowercase copy of the
    // parent: the walk classifies every file it finds.
    let (dir, name) = split_last(rel);
    let parent = split_last(dir).1;
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "setup.py" => return FileKind::SetupPy,
        "pyproject.toml" => return FileKind::Pyproject,
        "setup.cfg" => return FileKind::SetupCfg,
        "pipfile" => return FileKind::Pipfile,
        "environment.yml" | "environment.yaml" | "conda.yml" | "conda.yaml" => {
            return FileKind::CondaEnv;
        }
        "build.gradle" | "build.gradle.kts" => return FileKind::Gradle,
        "libs.versions.toml" => return FileKind::VersionCatalog,
        "podfile" => return FileKind::Podfile,
        "package.swift" => return FileKind::PackageSwift,
        "package.json" => return FileKind::PackageJson,
        "pubspec.yaml" => return FileKind::Pubspec,
        "docker-compose.yml" | "docker-compose.yaml" | "compose.yml" | "compose.yaml" => {
            return FileKind::Compose;
        }
        "cmakelists.txt" => return FileKind::CMake,
        "cargo.toml" => return FileKind::CargoToml,
        "config.pbtxt" => return FileKind::TritonConfig,
        "config.properties" => return FileKind::Properties,
        "model.json" => return FileKind::ModelJson,
        "platformio.ini" => return FileKind::PlatformIo,
        "library.properties" => return FileKind::ArduinoLibrary,
        "idf_component.yml" => return FileKind::IdfComponent,
        "west.yml" => return FileKind::WestManifest,
        "app.yaml" => return FileKind::AppYaml,
        _ => {}
    }
    // `Dockerfile.gpu` is a Dockerfile; `dockerfile.py` (a module that
    // writes one, as in tfx) is source and is classified by its extension.
    let variant = lower
        .strip_prefix("dockerfile.")
        .is_some_and(|ext| !SOURCE_EXTENSIONS.contains(&ext));
    if lower == "dockerfile" || variant || lower.ends_with(".dockerfile") {
        return FileKind::Dockerfile;
    }
    if let Some(stem) = lower.strip_suffix(".py") {
        return if stem.is_empty() {
            FileKind::Other
        } else {
            FileKind::Python
        };
    }
    const JS_EXTENSIONS: [&str; 6] = [".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx"];
    if JS_EXTENSIONS.iter().any(|e| lower.ends_with(e)) && !lower.ends_with(".min.js") {
        return FileKind::JsSource;
    }
    if lower.ends_with(".rs") {
        return FileKind::RustSource;
    }
    if crate::extract::artifact::EXTENSIONS
        .iter()
        .any(|e| lower.ends_with(e))
    {
        return FileKind::Artifact;
    }
    if lower.ends_with(".tf") {
        return FileKind::Terraform;
    }
    if lower.ends_with(".cmake") {
        return FileKind::CMake;
    }
    const C_EXTENSIONS: [&str; 9] = [
        ".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".ino", ".mm",
    ];
    if C_EXTENSIONS.iter().any(|e| lower.ends_with(e)) {
        return FileKind::CSource;
    }
    if lower.ends_with(".ipynb") {
        return FileKind::Notebook;
    }
    if is_requirements(&lower, parent) {
        return FileKind::Requirements;
    }
    if (lower.starts_with("environment") || lower.starts_with("conda"))
        && (lower.ends_with(".yml") || lower.ends_with(".yaml"))
    {
        return FileKind::CondaEnv;
    }
    if is_readme(&lower, rel) {
        return FileKind::Readme;
    }
    if lower.ends_with(".yml") || lower.ends_with(".yaml") {
        return FileKind::Yaml;
    }
    FileKind::Other
}

/// What comes before the last `/` and after it (`""` and all without one).
fn split_last(path: &str) -> (&str, &str) {
    match path.bytes().rposition(|b| b == b'/') {
        Some(slash) => (&path[..slash], &path[slash + 1..]),
        None => ("", path),
    }
}

/// `parent`: the name of the folder the file is in, as spelled.
fn is_requirements(lower: &str, parent: &str) -> bool {
    let text = lower.ends_with(".txt") || lower.ends_with(".in");
    let folder = |name: &str| parent.eq_ignore_ascii_case(name);
    text && (lower.contains("requirements") || folder("requirements") || folder("reqs"))
}

fn is_readme(lower: &str, rel: &str) -> bool {
    let doc = [".md", ".rst", ".txt", ".markdown"]
        .iter()
        .any(|e| lower.ends_with(e));
    if lower.starts_with("readme") {
        return doc || !lower.contains('.');
    }
    let in_docs = rel
        .split('/')
        .rev()
        .skip(1)
        .any(|d| d.eq_ignore_ascii_case("docs") || d.eq_ignore_ascii_case("doc"));
    in_docs && (lower.ends_with(".md") || lower.ends_with(".rst"))
}

/// A regular file found by the walk.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileEntry {
    /// Relative to the display root, `/`-separated.
    pub rel: String,
    pub path: PathBuf,
    pub kind: FileKind,
}

#[derive(Clone, Debug, Default)]
pub struct WalkOptions {
    pub no_ignore: bool,
    pub hidden: bool,
    pub threads: usize,
}

/// Hidden names that carry signals and are walked even without `--hidden`.
const SIGNAL_DOTFILES: &[&str] = &[
    ".github",
    ".gitlab-ci.yml",
    ".gitlab",
    ".circleci",
    ".devcontainer",
];

/// What the walk found, sorted by relative path.
#[derive(Debug, Default)]
pub struct WalkResult {
    pub files: Vec<FileEntry>,
    /// Entries the walker could not read (permission denied, loops…).
    pub errors: Vec<(String, String)>,
    /// Symlinks and special files passed over.
    pub not_regular: u64,
}

/// Walks `root`. Paths are made relative to `base` (normally `root` itself).
pub fn walk(root: &Path, base: &Path, opts: &WalkOptions) -> WalkResult {
    let files = Mutex::new(Vec::new());
    let mut result = visit(
        root,
        base,
        opts,
        &|| Vec::new(),
        &|mine: &mut Vec<FileEntry>, file| mine.push(file),
        &|mine| lock(&files).extend(mine),
    );
    result.files = files.into_inner().unwrap_or_else(|p| p.into_inner());
    result.files.sort();
    result
}

/// Walks `root` and hands each regular file to `each` on the walking
/// thread, with that thread's state (made by `start`, given to `finish` when
/// the thread is done): a scan reads files while the walk goes on, and
/// nothing is collected that the caller does not keep. The result has the
/// errors and the count of files passed over; `files` stays empty.
pub fn visit<S: Send>(
    root: &Path,
    base: &Path,
    opts: &WalkOptions,
    start: &(dyn Fn() -> S + Sync),
    each: &(dyn Fn(&mut S, FileEntry) + Sync),
    finish: &(dyn Fn(S) + Sync),
) -> WalkResult {
    let mut builder = builder(root, opts);
    builder.threads(opts.threads);
    let out = Mutex::new(WalkResult::default());
    let relative = Relative::new(base);
    builder.build_parallel().run(|| {
        let out = &out;
        let mut state = Finishing {
            state: Some(start()),
            finish,
        };
        let relative = &relative;
        Box::new(move |entry| {
            match entry {
                Err(err) => {
                    let path = error_path(&err)
                        .map(|p| relative.of(&p))
                        .unwrap_or_default();
                    lock(out).errors.push((path, err.to_string()));
                }
                Ok(e) => {
                    let Some(ft) = e.file_type() else {
                        return WalkState::Continue;
                    };
                    if ft.is_dir() {
                        return WalkState::Continue;
                    }
                    if !ft.is_file() {
                        lock(out).not_regular += 1;
                        return WalkState::Continue;
                    }
                    let rel = relative.of(e.path());
                    let file = FileEntry {
                        kind: classify(&rel),
                        rel,
                        path: e.into_path(),
                    };
                    if let Some(state) = state.state.as_mut() {
                        each(state, file);
                    }
                }
            }
            WalkState::Continue
        })
    });
    let mut result = out.into_inner().unwrap_or_else(|p| p.into_inner());
    result.errors.sort();
    result
}

/// The walker every walk uses: ignore files honoured unless `no_ignore`,
/// links never followed, `.git` and (unless `hidden`) other dot-names left
/// out but for those that carry signals.
fn builder(root: &Path, opts: &WalkOptions) -> WalkBuilder {
    let mut builder = WalkBuilder::new(root);
    builder
        .follow_links(false)
        .hidden(false)
        .require_git(false)
        .git_global(false)
        .ignore(!opts.no_ignore)
        .git_ignore(!opts.no_ignore)
        .git_exclude(!opts.no_ignore)
        .parents(!opts.no_ignore);
    if !opts.no_ignore {
        builder.add_custom_ignore_filename(".fwlintignore");
    }
    let hidden = opts.hidden;
    builder.filter_entry(move |e| {
        if e.depth() == 0 {
            return true;
        }
        // The bytes first: a name's text is needed only for dot-names.
        if !e.file_name().as_encoded_bytes().starts_with(b".") {
            return true;
        }
        let name = e.file_name().to_string_lossy();
        name != ".git" && (hidden || SIGNAL_DOTFILES.contains(&name.as_ref()))
    });
    builder
}

/// Walks `root` on this thread, depth first (the files under a folder come
/// one after another), handing each regular file to `each`. Errors and
/// files passed over are left to the walk that found the folders first.
pub fn visit_depth_first(
    root: &Path,
    base: &Path,
    opts: &WalkOptions,
    each: &mut dyn FnMut(FileEntry),
) {
    let relative = Relative::new(base);
    for entry in builder(root, opts).build() {
        let Ok(e) = entry else { continue };
        if !e.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let rel = relative.of(e.path());
        each(FileEntry {
            kind: classify(&rel),
            rel,
            path: e.into_path(),
        });
    }
}

/// A walking thread's state, handed over when the walker drops the
/// thread's visitor (as each thread ends, before the walk returns).
struct Finishing<'f, S> {
    state: Option<S>,
    finish: &'f (dyn Fn(S) + Sync),
}

impl<S> Drop for Finishing<'_, S> {
    fn drop(&mut self) {
        if let Some(state) = self.state.take() {
            (self.finish)(state);
        }
    }
}

/// A lock whose holder's panic leaves the data usable (it is only added to).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

/// `path` relative to `base`, `/`-separated; `.` for the base itself.
pub fn relative(path: &Path, base: &Path) -> String {
    Relative::new(base).of(path)
}

/// [`relative`] to one base, for every path a walk finds: the base is
/// looked at once, and a path that starts with it as text is cut there
/// without being taken apart.
pub struct Relative<'b> {
    base: &'b Path,
    /// The base's text, when it is plain (but for a root).
    plain: Option<&'b str>,
}

impl<'b> Relative<'b> {
    pub fn new(base: &'b Path) -> Relative<'b> {
        let plain = base.to_str().filter(|b| {
            let plain = match b.strip_prefix('/') {
                Some(inner) => is_plain(inner),
                None => !b.is_empty() && is_plain(b),
            };
            plain && cfg!(unix)
        });
        Relative { base, plain }
    }

    pub fn of(&self, path: &Path) -> String {
        // Most paths a walk gives are spelled as their parts joined: one
        // copy instead of a string a part.
        if let Some(rest) = self.cut(path) {
            return named(rest);
        }
        let rel = path.strip_prefix(self.base).unwrap_or(path);
        match rel.to_str() {
            Some(plain) if cfg!(unix) && is_plain(plain) => named(plain),
            _ => joined_parts(rel),
        }
    }

    /// `path` past the base and the `/` after it, when that is plain text.
    fn cut<'p>(&self, path: &'p Path) -> Option<&'p str> {
        let base = self.plain?;
        let rest = path.as_os_str().as_encoded_bytes();
        let rest = rest.strip_prefix(base.as_bytes())?;
        let rest = if base == "/" {
            rest
        } else {
            rest.strip_prefix(b"/")?
        };
        // The base is text, so the rest is if the path is.
        let rest = std::str::from_utf8(rest).ok()?;
        // A second `/` would make the rest a root of its own.
        (!rest.starts_with('/') && is_plain(rest)).then_some(rest)
    }
}

/// A plain relative path's name: `.` for the base itself.
fn named(rel: &str) -> String {
    if rel.is_empty() { "." } else { rel }.to_string()
}

/// Whether a path's text is its parts joined by `/` already: no root, no
/// empty part, no `.` part.
fn is_plain(rel: &str) -> bool {
    // Split on the byte: a `char` searcher per part cost more than the
    // rest of `relative` (it runs for every file the walk finds).
    rel.is_empty()
        || rel
            .as_bytes()
            .split(|&b| b == b'/')
            .all(|part| !part.is_empty() && part != b".")
}

/// [`relative`]'s definition: the parts of `rel`, `.` dropped, joined by `/`.
fn joined_parts(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Extensions that make `dockerfile.EXT` a source or data file, not a
/// Dockerfile variant.
const SOURCE_EXTENSIONS: [&str; 12] = [
    "py", "ipynb", "md", "rst", "txt", "json", "yaml", "yml", "toml", "sh", "js", "ts",
];

#[cfg(test)]
mod tests {
    use super::{FileKind, classify};

    #[test]
    fn relative_paths_are_slash_separated_without_dots() {
        use super::relative;
        use std::path::Path;
        let base = Path::new("/repo");
        assert_eq!(relative(Path::new("/repo/a/b.py"), base), "a/b.py");
        assert_eq!(relative(Path::new("/repo/a/./b.py"), base), "a/b.py");
        assert_eq!(relative(Path::new("/repo/a//b.py"), base), "a/b.py");
        assert_eq!(relative(Path::new("/repo"), base), ".");
        assert_eq!(relative(Path::new("./x/y"), Path::new(".")), "x/y");
        assert_eq!(relative(Path::new("../up/z"), Path::new("here")), "../up/z");
    }

    proptest::proptest! {
        /// A plain path's text is what joining its parts gives.
        #[test]
        fn plain_paths_are_their_joined_parts(
            parts in proptest::collection::vec(
                proptest::sample::select(vec!["a", "b.py", ".", "..", "", "é", ".git", "x y"]),
                0..6,
            ),
            base in proptest::sample::select(vec!["", "/", "/r", "/r/", "r", "./r", "/r/./s", "/r//s"]),
        ) {
            use std::path::Path;
            let path = format!("{base}/{}", parts.join("/"));
            let rel = Path::new(&path).strip_prefix(base).unwrap_or(Path::new(&path));
            proptest::prop_assert_eq!(
                super::relative(Path::new(&path), Path::new(base)),
                super::joined_parts(rel),
                "{}", path
            );
            let bare = parts.join("/");
            proptest::prop_assert_eq!(
                super::relative(Path::new(&bare), Path::new("")),
                super::joined_parts(Path::new(&bare))
            );
        }
    }

    #[test]
    fn classifies_by_name() {
        assert_eq!(classify("src/train.py"), FileKind::Python);
        assert_eq!(classify("setup.py"), FileKind::SetupPy);
        assert_eq!(classify("nb/Intro.ipynb"), FileKind::Notebook);
        assert_eq!(classify("requirements-dev.txt"), FileKind::Requirements);
        assert_eq!(classify("requirements/base.in"), FileKind::Requirements);
        // The folder the file is in, in any case; not one further up.
        assert_eq!(classify("svc/Reqs/base.txt"), FileKind::Requirements);
        assert_eq!(classify("reqs/svc/base.txt"), FileKind::Other);
        assert_eq!(classify("dev-requirements.txt"), FileKind::Requirements);
        assert_eq!(classify("notes.txt"), FileKind::Other);
        assert_eq!(classify("environment-gpu.yml"), FileKind::CondaEnv);
        assert_eq!(classify("README"), FileKind::Readme);
        assert_eq!(classify("docs/guide/intro.md"), FileKind::Readme);
        assert_eq!(classify("CHANGELOG.md"), FileKind::Other);
        assert_eq!(classify("pkg/pyproject.toml"), FileKind::Pyproject);
        assert_eq!(classify("app/build.gradle.kts"), FileKind::Gradle);
        assert_eq!(
            classify("gradle/libs.versions.toml"),
            FileKind::VersionCatalog
        );
        assert_eq!(classify("ios/Podfile"), FileKind::Podfile);
        assert_eq!(classify("web/package.json"), FileKind::PackageJson);
        assert_eq!(classify("serving/Dockerfile.gpu"), FileKind::Dockerfile);
        assert_eq!(classify("builder/dockerfile.py"), FileKind::Python);
        assert_eq!(classify("docs/Dockerfile.md"), FileKind::Readme);
        assert_eq!(classify("docker-compose.yml"), FileKind::Compose);
        // Case does not matter, nor a name's length.
        assert_eq!(classify("Reqs/Base.TXT"), FileKind::Requirements);
        assert_eq!(classify("x/Ünïcode_Modül.PY"), FileKind::Python);
        let long = format!("{}_Requirements.TXT", "a".repeat(70));
        assert_eq!(classify(&long), FileKind::Requirements);
        assert_eq!(
            classify(&format!("{}.py", "é".repeat(40))),
            FileKind::Python
        );
    }
}
