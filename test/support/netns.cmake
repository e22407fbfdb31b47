# baton_netns: RAII network-namespace harness for privileged tests and benchmarks.
# Included from test/integration/vrrp (and from test/support/CMakeLists.txt once that includes
# it); guarded so that it is defined once.
if(NOT TARGET baton_netns)
  add_library(baton_netns STATIC ${CMAKE_CURRENT_LIST_DIR}/netns.cpp)
  target_include_directories(baton_netns PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(baton_netns PUBLIC baton_core Threads::Threads PRIVATE baton_flags)
endif()
