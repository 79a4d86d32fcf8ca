'use strict';
// restify 11 loads spdy at require time but only calls it when a server is created with the `spdy` option.
module.exports = {
  createServer() {
    throw new Error('HTTP/2 through spdy is not available in Switchboard; terminate TLS and HTTP/2 at the reverse proxy.');
  },
};
