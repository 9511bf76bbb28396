# The attnlab kernelspec in the project venv (.venv/share/jupyter/kernels/attnlab): the node
# on PATH running dist/kernel/main.js (compiled by 30-build). Rewriting it takes ~50 ms, so
# it is always rewritten. For use outside the project, run `npm run install-kernel`
# (= node dist/kernel/install.js --user) once.
node "$ROOT/dist/kernel/install.js" --prefix "$VENV" >&2
