# Compile lib/ and kernel/ to dist/ (the kernel loads the compiled library).
tsc -p tsconfig.json
