# Helpers that keep each module's CMakeLists.txt to a few lines.

set(GATEHOUSE_WARNINGS -Wall -Wextra -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # g++ 12 at -O3 reports false -Wrestrict positives inside libstdc++'s std::string (GCC bug 105329).
  list(APPEND GATEHOUSE_WARNINGS -Wno-restrict)
endif()
if(GATEHOUSE_WERROR)
  list(APPEND GATEHOUSE_WARNINGS -Werror)
endif()

# gatehouse_module(NAME SOURCES a.cc b.cc DEPS gatehouse_core absl::status ...)
# Defines the static library gatehouse_<NAME> with src/ as its include root.
function(gatehouse_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(gatehouse_${name} STATIC ${ARG_SOURCES})
  target_include_directories(gatehouse_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(gatehouse_${name} PRIVATE ${GATEHOUSE_WARNINGS})
  target_link_libraries(gatehouse_${name} PUBLIC ${ARG_DEPS})
endfunction()

# gatehouse_test(NAME SOURCES x_test.cc DEPS gatehouse_x [LABELS slow])
# One gtest executable; every TEST becomes a ctest case.
function(gatehouse_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${GATEHOUSE_WARNINGS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    GATEHOUSE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    GATEHOUSE_BINARY_DIR="${PROJECT_BINARY_DIR}")
  set(labels unit)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${labels}" DISCOVERY_TIMEOUT 60)
endfunction()
