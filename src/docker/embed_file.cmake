# cmake -DIN=file -DOUT=file.cc -DNAME=kName -P embed_file.cmake: IN's bytes as a C++ array.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}" "// Generated from ${IN} by embed_file.cmake.\n#include <cstddef>\nnamespace berth::docker {\nextern const unsigned char ${NAME}[] = {${bytes}};\nextern const size_t ${NAME}Size = sizeof ${NAME};\n}\n")
