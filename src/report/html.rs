//! One self-contained HTML page (no network, no external scripts or fonts)
//! for an audit or a single repository: verdict counts, a goals × frameworks
//! matrix, an inline-SVG bar chart of verdicts per goal, a sortable table of
//! repositories, and the evidence behind each verdict.

use crate::report::escape_markup as esc;
use crate::report::fleet::{Evidence, Record, STATUSES, framework_names, status_counts};
use crate::ruleset::{Goal, RuleSet};
use crate::signal::location;
use std::collections::BTreeMap;
use std::fmt::Write;

const STYLE: &str = r#"
:root { --aligned:#1a7f37; --misaligned:#cf222e; --mixed:#9a6700; --undetermined:#6e7781; --error:#8250df;
  --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#ffffff; --soft:#f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header, main { max-width: 1100px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 12px; }
h4 { margin: 14px 0 4px; font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.muted { color: var(--muted); }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { flex: 1 1 140px; border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; border-top: 4px solid var(--undetermined); }
.card .n { display: block; font-size: 30px; font-weight: 700; }
.status-aligned { border-top-color: var(--aligned); } .status-misaligned { border-top-color: var(--misaligned); }
.status-mixed { border-top-color: var(--mixed); } .status-error { border-top-color: var(--error); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; color: #fff; font-size: 12px; font-weight: 600; background: var(--undetermined); }
.badge.aligned { background: var(--aligned); } .badge.misaligned { background: var(--misaligned); }
.badge.mixed { background: var(--mixed); } .badge.error { background: var(--error); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
table.sortable th { cursor: pointer; user-select: none; white-space: nowrap; }
table.sortable th[aria-sort=ascending]::after { content: " \25B2"; }
table.sortable th[aria-sort=descending]::after { content: " \25BC"; }
table.matrix td.num { text-align: center; font-weight: 600; }
td.fit { background: #dafbe1; } td.departs { background: #ffebe9; } td.other { background: var(--soft); }
details.repo { border: 1px solid var(--line); border-radius: 8px; margin: 8px 0; padding: 6px 12px; }
details.repo summary { cursor: pointer; font-weight: 600; }
ul.evidence { margin: 2px 0; padding-left: 18px; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
.legend span { margin-right: 14px; } .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
footer { max-width: 1100px; margin: 40px auto 24px; padding: 0 24px; color: var(--muted); font-size: 12px; }
"#;

/// Sorts the repository table by a clicked header, or by `#sort=KEY` /
/// `#sort=-KEY` in the address; marks the page ready for tests.
const SCRIPT: &str = r#"
(function () {
  var table = document.getElementById('repo-table');
  function sortBy(index, descending) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var numeric = table.tHead.rows[0].cells[index].getAttribute('data-type') === 'number';
    rows.sort(function (a, b) {
      var x = a.cells[index].getAttribute('data-value'), y = b.cells[index].getAttribute('data-value');
      var c = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      if (c === 0) { c = a.cells[0].getAttribute('data-value').localeCompare(b.cells[0].getAttribute('data-value')); return c; }
      return descending ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      if (i === index) { th.setAttribute('aria-sort', descending ? 'descending' : 'ascending'); } else { th.removeAttribute('aria-sort'); }
    });
    table.setAttribute('data-sorted', table.tHead.rows[0].cells[index].getAttribute('data-key') + (descending ? ':desc' : ':asc'));
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
    th.addEventListener('click', function () { sortBy(i, th.getAttribute('aria-sort') === 'ascending'); });
  });
  var m = /sort=(-?)([a-z]+)/.exec(location.hash);
  if (m) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      if (th.getAttribute('data-key') === m[2]) { sortBy(i, m[1] === '-'); }
    });
  }
  document.body.setAttribute('data-ready', 'true');
})();
"#;

/// The page for these records (one for `check --format html`).
pub fn render(records: &[Record], rules: &RuleSet) -> String {
    let single = records.len() == 1;
    let title = if single {
        format!("fwlint report: {}", records[0].root)
    } else {
        "fwlint audit".to_string()
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body data-ready=\"false\">\n",
        esc(&title)
    );
    let findings: usize = records.iter().map(|r| r.findings.len()).sum();
    let _ = write!(
        out,
        "<header><h1>{}</h1><p class=\"muted\">{} repositor{} · {findings} finding{} · fwlint {}</p></header>\n<main>\n",
        esc(&title),
        records.len(),
        if single { "y" } else { "ies" },
        if findings == 1 { "" } else { "s" },
        env!("CARGO_PKG_VERSION")
    );
    cards(&mut out, records);
    matrix(&mut out, records, rules);
    chart(&mut out, records);
    repo_table(&mut out, records, rules);
    details(&mut out, records, rules);
    let _ = write!(
        out,
        "</main>\n<footer>Guidance: the article <em>TensorFlow vs PyTorch</em>, as encoded in fwlint's rules; <code>fwlint rule CODE</code> explains each finding.</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    );
    out
}

fn cards(out: &mut String, records: &[Record]) {
    out.push_str("<section id=\"verdicts\"><h2>Verdicts</h2><div class=\"cards\">");
    for (status, n) in status_counts(records) {
        if status == "error" && n == 0 {
            continue;
        }
        let _ = write!(
            out,
            "<div class=\"card status-{status}\" data-status=\"{status}\"><span class=\"n\">{n}</span>{status}</div>"
        );
    }
    out.push_str("</div></section>\n");
}

/// Primary goals of a record, or `None` for a record with none.
fn goal_keys(r: &Record) -> Vec<Option<&str>> {
    let goals = r.primary_goals();
    if goals.is_empty() {
        vec![None]
    } else {
        goals.into_iter().map(Some).collect()
    }
}

/// Goals in the guidance's order, then "no goal", that appear in `records`.
fn goal_rows(records: &[Record]) -> Vec<Option<&'static str>> {
    let present = |g: Option<&str>| records.iter().any(|r| goal_keys(r).contains(&g));
    Goal::ALL
        .iter()
        .map(|g| Some(g.as_str()))
        .chain([None])
        .filter(|g| present(*g))
        .collect()
}

fn goal_label(g: Option<&str>) -> &str {
    g.unwrap_or("no goal found")
}

fn matrix(out: &mut String, records: &[Record], rules: &RuleSet) {
    let mut fw_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for f in records.iter().flat_map(|r| &r.frameworks) {
        *fw_counts.entry(f.id.as_str()).or_default() += 1;
    }
    let mut fws: Vec<(&str, usize)> = fw_counts.into_iter().collect();
    fws.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    out.push_str("<section id=\"matrix\"><h2>Goals × frameworks</h2>");
    if fws.is_empty() {
        out.push_str("<p class=\"muted\">No ML framework found.</p></section>\n");
        return;
    }
    out.push_str("<p class=\"muted\">Repositories per primary goal and framework; green where the guidance recommends that framework for the goal, red where it recommends the other.</p><table class=\"matrix\"><thead><tr><th>goal</th>");
    for (id, _) in &fws {
        let name = rules.framework(id).map_or(*id, |f| f.name.as_str());
        let _ = write!(out, "<th data-framework=\"{}\">{}</th>", esc(id), esc(name));
    }
    out.push_str("</tr></thead><tbody>");
    for goal in goal_rows(records) {
        let recommended = goal
            .and_then(Goal::parse)
            .map(|g| rules.goals[&g].framework.get_ref().as_str());
        let _ = write!(
            out,
            "<tr data-goal=\"{}\"><th>{}</th>",
            esc(goal_label(goal)),
            esc(goal_label(goal))
        );
        for (id, _) in &fws {
            let n = records
                .iter()
                .filter(|r| {
                    goal_keys(r).contains(&goal) && r.frameworks.iter().any(|f| f.id == *id)
                })
                .count();
            let guided = rules.framework(id).is_some_and(|f| f.guided);
            let class = match recommended {
                _ if n == 0 => "",
                Some(rec) if rec == *id => "fit",
                Some(_) if guided => "departs",
                _ => "other",
            };
            let shown = if n == 0 { String::new() } else { n.to_string() };
            let _ = write!(
                out,
                "<td class=\"num {class}\" data-count=\"{n}\">{shown}</td>"
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></section>\n");
}

fn chart(out: &mut String, records: &[Record]) {
    let rows = goal_rows(records);
    let counts: Vec<Vec<usize>> = rows
        .iter()
        .map(|g| {
            STATUSES
                .iter()
                .map(|s| {
                    records
                        .iter()
                        .filter(|r| r.status() == *s && goal_keys(r).contains(g))
                        .count()
                })
                .collect()
        })
        .collect();
    let max = counts
        .iter()
        .map(|c| c.iter().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    let (label_w, bar_w, row_h) = (170usize, 520usize, 28usize);
    let height = rows.len() * row_h + 10;
    out.push_str("<section id=\"chart\"><h2>Verdicts per goal</h2><div class=\"legend\">");
    for s in STATUSES {
        let _ = write!(
            out,
            "<span><i style=\"background:var(--{s})\"></i>{s}</span>"
        );
    }
    let _ = write!(
        out,
        "</div><svg role=\"img\" aria-label=\"verdicts per goal\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\" xmlns=\"http://www.w3.org/2000/svg\">",
        label_w + bar_w + 60,
        label_w + bar_w + 60
    );
    for (i, (goal, c)) in rows.iter().zip(&counts).enumerate() {
        let y = i * row_h + 5;
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\" fill=\"#1f2328\">{}</text>",
            label_w - 8,
            y + 16,
            esc(goal_label(*goal))
        );
        let mut x = label_w;
        for (s, n) in STATUSES.iter().zip(c) {
            if *n == 0 {
                continue;
            }
            let w = n * bar_w / max;
            let _ = write!(
                out,
                "<rect class=\"bar\" data-goal=\"{}\" data-status=\"{s}\" data-count=\"{n}\" x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"var(--{s})\"><title>{}: {n} {s}</title></rect>",
                esc(goal_label(*goal)),
                w.max(2),
                row_h - 8,
                esc(goal_label(*goal))
            );
            x += w.max(2);
        }
        let total: usize = c.iter().sum();
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#59636e\">{total}</text>",
            x + 6,
            y + 16
        );
    }
    out.push_str("</svg></section>\n");
}

fn repo_table(out: &mut String, records: &[Record], rules: &RuleSet) {
    out.push_str("<section id=\"repositories\"><h2>Repositories</h2><table id=\"repo-table\" class=\"sortable\"><thead><tr>");
    for (key, label, kind) in [
        ("repository", "Repository", "text"),
        ("frameworks", "Frameworks", "text"),
        ("goals", "Primary goals", "text"),
        ("verdict", "Verdict", "text"),
        ("findings", "Findings", "number"),
    ] {
        let _ = write!(
            out,
            "<th data-key=\"{key}\" data-type=\"{kind}\">{label}</th>"
        );
    }
    out.push_str("</tr></thead><tbody>");
    for (i, r) in records.iter().enumerate() {
        let fws = framework_names(r, rules).join(", ");
        let goals = r.primary_goals().join(", ");
        let status = r.status();
        let _ = write!(
            out,
            "<tr data-status=\"{status}\"><td data-value=\"{root}\"><a href=\"#repo-{i}\"><code>{root}</code></a></td><td data-value=\"{fws}\">{fws}</td><td data-value=\"{goals}\">{goals}</td><td data-value=\"{status}\"><span class=\"badge {status}\">{status}</span></td><td data-value=\"{n}\">{n}</td></tr>",
            root = esc(&r.root),
            fws = esc(&fws),
            goals = esc(&goals),
            n = r.findings.len()
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn evidence_list(out: &mut String, evidence: &[Evidence]) {
    if evidence.is_empty() {
        return;
    }
    out.push_str("<ul class=\"evidence\">");
    for e in evidence {
        let _ = write!(
            out,
            "<li><code>{}</code> <span class=\"muted\">{}</span></li>",
            esc(&e.signal),
            esc(&location(&e.path, e.cell, e.line, e.column))
        );
    }
    out.push_str("</ul>");
}

fn details(out: &mut String, records: &[Record], rules: &RuleSet) {
    out.push_str("<section id=\"evidence\"><h2>Evidence</h2>");
    let open = if records.len() == 1 { " open" } else { "" };
    for (i, r) in records.iter().enumerate() {
        let status = r.status();
        let _ = write!(
            out,
            "<details class=\"repo\" id=\"repo-{i}\"{open}><summary><code>{}</code> <span class=\"badge {status}\">{status}</span></summary>",
            esc(&r.root)
        );
        if let Some(e) = &r.error {
            let _ = write!(out, "<p>Could not be scanned: {}</p></details>", esc(e));
            continue;
        }
        if let Some(v) = &r.verdict {
            let _ = write!(out, "<p class=\"summary\">{}</p>", esc(&v.summary));
        }
        out.push_str("<h4>Frameworks</h4>");
        if r.frameworks.is_empty() {
            out.push_str("<p class=\"muted\">none found</p>");
        }
        for (f, name) in r.frameworks.iter().zip(framework_names(r, rules)) {
            let _ = write!(
                out,
                "<div class=\"framework\"><strong>{}</strong> <span class=\"muted\">score {:.2} · {} file{}</span>",
                esc(&name),
                f.score,
                f.files,
                if f.files == 1 { "" } else { "s" }
            );
            evidence_list(out, &f.evidence);
            out.push_str("</div>");
        }
        out.push_str("<h4>Goals</h4>");
        if r.goals.is_empty() {
            out.push_str("<p class=\"muted\">none inferred</p>");
        }
        for g in &r.goals {
            let tag = match (g.declared, g.primary) {
                (true, _) => "declared",
                (false, true) => "primary",
                (false, false) => "secondary",
            };
            let _ = write!(
                out,
                "<div class=\"goal\"><strong>{}</strong> <span class=\"muted\">{tag} · confidence {:.2}</span>",
                esc(&g.id),
                g.confidence
            );
            evidence_list(out, &g.evidence);
            out.push_str("</div>");
        }
        if r.projects.len() > 1 {
            out.push_str("<h4>Projects</h4><table><tbody>");
            for p in &r.projects {
                let _ = write!(
                    out,
                    "<tr><td><code>{}</code></td><td><span class=\"badge {s}\">{s}</span></td><td>{}</td></tr>",
                    esc(&p.path),
                    esc(&p.verdict.summary),
                    s = esc(&p.verdict.status)
                );
            }
            out.push_str("</tbody></table>");
        }
        out.push_str("<h4>Findings</h4>");
        if r.findings.is_empty() {
            out.push_str("<p class=\"muted\">none</p>");
        } else {
            out.push_str("<ul class=\"findings\">");
            for f in &r.findings {
                let _ = write!(
                    out,
                    "<li><code>{}</code> <strong>{}</strong> <span class=\"muted\">{} · {}</span> {}</li>",
                    esc(&location(&f.path, f.cell, f.line, f.column)),
                    esc(&f.rule),
                    esc(&f.name),
                    esc(&f.severity),
                    esc(&f.message)
                );
            }
            out.push_str("</ul>");
        }
        out.push_str("</details>");
    }
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
    }

    #[test]
    fn the_page_is_self_contained() {
        let rules = RuleSet::builtin().unwrap();
        let record = Record {
            root: "repo<script>".into(),
            ..Record::default()
        };
        let page = render(&[record], &rules);
        assert!(!page.contains("repo<script>"));
        for external in ["src=\"http", "href=\"http", "@import", "url("] {
            assert!(!page.contains(external), "{external}");
        }
    }
}
