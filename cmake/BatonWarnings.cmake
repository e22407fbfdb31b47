# Compiler flags shared by every baton target, through the interface target baton_flags.
add_library(baton_flags INTERFACE)
target_compile_options(baton_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wnull-dereference
  $<$<COMPILE_LANGUAGE:CXX>:-Woverloaded-virtual>)
if(BATON_WERROR)
  target_compile_options(baton_flags INTERFACE -Werror)
endif()
if(BATON_SANITIZE OR BATON_FUZZ)
  target_compile_options(baton_flags INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(baton_flags INTERFACE -fsanitize=address,undefined)
endif()
if(BATON_FUZZ)
  # Coverage instrumentation for every library, so the fuzzers see into them; only the fuzz
  # targets themselves link libFuzzer's main (-fsanitize=fuzzer, in BatonTest.cmake).
  target_compile_options(baton_flags INTERFACE -fsanitize=fuzzer-no-link)
endif()
