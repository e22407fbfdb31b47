#include "dist/flow.hpp"
#include <gtest/gtest.h>
