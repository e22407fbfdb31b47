# baton_add_test(NAME name SOURCES a.cpp ... [LIBS lib ...] [LABELS unit|privileged ...])
# Builds one GoogleTest executable and registers every test in it with ctest, carrying the
# given labels (default: unit). Tests labelled privileged need root or kernel features and
# skip themselves with GTEST_SKIP() and a message when they cannot run.
function(baton_add_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main GTest::gmock baton_flags)
  include(GoogleTest)
  # Test names are prefixed with the executable ("dist_test.FlowHash.BothDirections..."), so
  # `ctest -R dist_test` selects one executable's tests.
  gtest_discover_tests(${T_NAME}
    TEST_PREFIX "${T_NAME}."
    PROPERTIES LABELS "${T_LABELS}"
    DISCOVERY_TIMEOUT 60)
endfunction()

# baton_add_fuzz(NAME name SOURCES a.cpp ... [LIBS lib ...] CORPUS dir)
# A libFuzzer target. With BATON_FUZZ=ON (clang) it becomes a real fuzzer and a ctest test
# labelled fuzz that runs for BATON_FUZZ_SECONDS over the corpus. Without it the same entry
# point is linked to a small driver that replays the corpus, so every build checks that the
# seeds parse without crashing (label unit).
set(BATON_FUZZ_SECONDS 60 CACHE STRING "Seconds each fuzz test runs in ctest")
function(baton_add_fuzz)
  cmake_parse_arguments(F "" "NAME;CORPUS" "SOURCES;LIBS" ${ARGN})
  add_executable(${F_NAME} ${F_SOURCES})
  target_link_libraries(${F_NAME} PRIVATE ${F_LIBS} baton_flags)
  if(BATON_FUZZ)
    target_compile_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
    target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
    set(work ${CMAKE_CURRENT_BINARY_DIR}/${F_NAME}.corpus)
    add_test(NAME ${F_NAME}
      COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
              sh -c "rm -rf '${work}' && mkdir -p '${work}' && exec '$<TARGET_FILE:${F_NAME}>' -max_total_time=${BATON_FUZZ_SECONDS} -print_final_stats=1 -artifact_prefix='${CMAKE_CURRENT_BINARY_DIR}/${F_NAME}-' '${work}' '${F_CORPUS}'")
    set_tests_properties(${F_NAME} PROPERTIES LABELS fuzz TIMEOUT 600)
  else()
    target_sources(${F_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/test/fuzz/replay_main.cpp)
    add_test(NAME ${F_NAME}.replay COMMAND ${F_NAME} ${F_CORPUS})
    set_tests_properties(${F_NAME}.replay PROPERTIES LABELS unit)
  endif()
endfunction()
