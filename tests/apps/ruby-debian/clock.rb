# A WEBrick server (Debian's ruby-webrick): GET / answers with the time.
require "webrick"

server = WEBrick::HTTPServer.new(Port: 4567, BindAddress: "0.0.0.0", AccessLog: [])
server.mount_proc("/") do |_req, res|
  res["Content-Type"] = "text/plain"
  res.body = "clock: #{Time.now.utc.strftime('%H:%M')} UTC\n"
end
trap("TERM") { server.shutdown }
server.start
