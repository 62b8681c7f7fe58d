#pragma once
// Internal to src/http: conversion from a Beast request to Request.
#include <boost/beast/http.hpp>

#include "http/message.h"

namespace hydra::http {

Request request_from_beast(boost::beast::http::request<boost::beast::http::string_body>&& msg,
                           const std::string& remote);

}  // namespace hydra::http
