// Boost.JSON and Boost.URL are compiled into the program from their headers
// (Debian ships no prebuilt libraries for them); this is the one place.
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
