# baton_bpf_skeleton(TARGET <lib> SOURCE <prog.bpf.c> NAME <skel name>)
# Compiles a BPF C program with clang -target bpf -mcpu=v3 -g -O2 (BTF for CO-RE; v3: 32-bit
# ALU and jumps, kernel >= 5.1, fewer instructions than clang's default v1), generates its libbpf
# skeleton with `bpftool gen skeleton`, and makes an INTERFACE library <lib> whose include
# directory holds bpf/<name>.skel.h. Programs include <linux/bpf.h> and <bpf/bpf_helpers.h>
# only (no vmlinux.h), so they build on any machine with kernel headers and libbpf.
find_program(BATON_BPF_CLANG NAMES clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14 REQUIRED)
find_program(BATON_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin /usr/local/sbin REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET GLOBAL libbpf)
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-multiarch
  OUTPUT_VARIABLE multiarch OUTPUT_STRIP_TRAILING_WHITESPACE)
# Cached so that the function sees it from any directory (bench/xdp calls it too).
set(BATON_MULTIARCH "${multiarch}" CACHE INTERNAL "multiarch include dir for asm/types.h")

function(baton_bpf_skeleton)
  cmake_parse_arguments(B "" "TARGET;SOURCE;NAME" "" ${ARGN})
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/${B_SOURCE})
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${B_NAME}.bpf.o)
  set(skel_dir ${CMAKE_CURRENT_BINARY_DIR}/skel)
  set(skel ${skel_dir}/bpf/${B_NAME}.skel.h)
  set(werror "")
  if(BATON_WERROR)
    set(werror -Werror)
  endif()
  add_custom_command(OUTPUT ${obj}
    COMMAND ${BATON_BPF_CLANG} -target bpf -mcpu=v3 -g -O2 -Wall -Wextra ${werror}
            -I${PROJECT_SOURCE_DIR}/src -I/usr/include/${BATON_MULTIARCH}
            -MD -MF ${obj}.d -c ${src} -o ${obj}
    DEPENDS ${src}
    DEPFILE ${obj}.d
    COMMENT "BPF ${B_SOURCE}"
    VERBATIM)
  add_custom_command(OUTPUT ${skel}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${skel_dir}/bpf
    COMMAND sh -c "'${BATON_BPFTOOL}' gen skeleton '${obj}' name ${B_NAME} > '${skel}.tmp' && mv '${skel}.tmp' '${skel}'"
    DEPENDS ${obj}
    COMMENT "skeleton ${B_NAME}"
    VERBATIM)
  add_custom_target(${B_TARGET}_gen DEPENDS ${skel})
  add_library(${B_TARGET} INTERFACE)
  add_dependencies(${B_TARGET} ${B_TARGET}_gen)
  target_include_directories(${B_TARGET} SYSTEM INTERFACE ${skel_dir})
  target_link_libraries(${B_TARGET} INTERFACE PkgConfig::LIBBPF)
endfunction()
