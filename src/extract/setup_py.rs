//! setup.py, read statically (never run): the literal `install_requires`,
//! `extras_require` and `tests_require` of a `setup(...)` call, following
//! names bound to literal lists at module level.

use super::requirements::requirement_name;
use crate::signal::{Context, Extracted, LineIndex, Signal, SignalKind};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ModModule, Stmt};
use ruff_text_size::Ranged;
use std::collections::HashMap;

pub fn extract(source: &str, module: &ModModule, out: &mut Extracted) {
    let mut bindings = HashMap::new();
    for stmt in &module.body {
        if let Stmt::Assign(assign) = stmt
            && let [Expr::Name(name)] = assign.targets.as_slice()
        {
            bindings.insert(name.id.to_string(), &*assign.value);
        }
    }
    let mut finder = SetupCalls { calls: Vec::new() };
    finder.visit_body(&module.body);
    let index = LineIndex::new(source);
    let reader = Reader {
        source,
        index: &index,
        bindings: &bindings,
    };
    for call in finder.calls {
        for keyword in &call.arguments.keywords {
            let Some(arg) = &keyword.arg else { continue };
            match arg.as_str() {
                "install_requires" => reader.list(&keyword.value, &[], out, 0),
                "tests_require" => reader.list(&keyword.value, &[Context::Dev], out, 0),
                "extras_require" => reader.extras(&keyword.value, out),
                _ => {}
            }
        }
    }
}

struct SetupCalls<'a> {
    calls: Vec<&'a ruff_python_ast::ExprCall>,
}

impl<'a> Visitor<'a> for SetupCalls<'a> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            let is_setup = match &*call.func {
                Expr::Name(n) => n.id.as_str() == "setup",
                Expr::Attribute(a) => a.attr.as_str() == "setup",
                _ => false,
            };
            if is_setup {
                self.calls.push(call);
            }
        }
        visitor::walk_expr(self, expr);
    }
}

struct Reader<'a> {
    source: &'a str,
    index: &'a LineIndex,
    bindings: &'a HashMap<String, &'a Expr>,
}

impl Reader<'_> {
    /// Depth bounds name-to-name chains (`A = B`, `B = A`).
    fn resolve<'e>(&'e self, expr: &'e Expr, depth: u32) -> Option<&'e Expr> {
        match expr {
            Expr::Name(name) if depth < 8 => {
                let bound = self.bindings.get(name.id.as_str())?;
                self.resolve(bound, depth + 1)
            }
            Expr::Name(_) => None,
            other => Some(other),
        }
    }

    fn list(&self, expr: &Expr, ctx: &[Context], out: &mut Extracted, depth: u32) {
        let items: &[Expr] = match self.resolve(expr, depth) {
            Some(Expr::List(list)) => &list.elts,
            Some(Expr::Tuple(tuple)) => &tuple.elts,
            Some(Expr::BinOp(op)) => {
                self.list(&op.left, ctx, out, depth + 1);
                self.list(&op.right, ctx, out, depth + 1);
                return;
            }
            _ => return,
        };
        for item in items {
            if let Expr::StringLiteral(lit) = item
                && let Some(name) = requirement_name(lit.value.to_str())
            {
                let (line, column) = self.index.line_col(self.source, lit.start().to_usize());
                let signal = Signal::new(
                    SignalKind::Dependency,
                    super::requirements::dependency_key("pypi", &name),
                    line,
                    column,
                );
                out.push(signal.with_context(ctx));
            }
        }
    }

    fn extras(&self, expr: &Expr, out: &mut Extracted) {
        let Some(Expr::Dict(dict)) = self.resolve(expr, 0) else {
            return;
        };
        for item in &dict.items {
            let ctx = match &item.key {
                Some(Expr::StringLiteral(k))
                    if super::requirements::is_dev_name(k.value.to_str()) =>
                {
                    Context::Dev
                }
                _ => Context::Optional,
            };
            self.list(&item.value, &[ctx], out, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_literal_setup_arguments() {
        let src = "from setuptools import setup\nREQS = ['torch>=2', 'numpy']\nEXTRA = {'dev': ['pytest'], 'tf': ['tensorflow']}\nsetup(name='x', install_requires=REQS + ['tqdm'], extras_require=EXTRA)\n";
        let parsed = crate::extract::python::parse(src, false);
        let mut out = Extracted::default();
        extract(src, parsed.syntax(), &mut out);
        let got: Vec<_> = out
            .signals
            .iter()
            .map(|s| format!("{}:{}:{:?}", s.line, s.key, s.context))
            .collect();
        assert_eq!(
            got,
            [
                "2:pypi:torch:[]",
                "2:pypi:numpy:[]",
                "4:pypi:tqdm:[]",
                "3:pypi:pytest:[Dev]",
                "3:pypi:tensorflow:[Optional]"
            ]
        );
    }
}
