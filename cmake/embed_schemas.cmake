# Writes OUT, a C file defining cw_schema_text_<name>[] for each .avsc in
# NAMES under DIR. Run at build time by CMakeLists.txt.
set(body "/* Generated from the .avsc files under schemas/ by cmake/embed_schemas.cmake. */\n")
foreach(n ${NAMES})
  file(READ ${DIR}/${n}.avsc text)
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "\n" "\\n\"\n\"" text "${text}")
  string(APPEND body "const char cw_schema_text_${n}[] =\n\"${text}\";\n")
endforeach()
file(WRITE ${OUT} "${body}")
