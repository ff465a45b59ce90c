// Reference chat server for bench/run-chat.sh: the same fan-out as chat-server (private
// messages to every device of the recipient and the sender's other devices, group messages
// to every member's devices except the sending one), with Socket.IO and nothing else. No
// accounts, no membership checks, no storage: it measures raw fan-out speed on this machine.
//
// Usage: node server.js PORT_FILE   (listens on 127.0.0.1, on a free port written to PORT_FILE)
// A client connects to /socket.io/?EIO=4&transport=websocket&user=NAME&groups=G1,G2 and
// emits "send" {client_message_id, text, to_user | group} with an acknowledgement callback.
"use strict";

const fs = require("fs");
const http = require("http");
const { Server } = require("socket.io");

const portFile = process.argv[2];
const namePattern = /^[A-Za-z0-9_.-]{1,64}$/;

const httpServer = http.createServer();
const io = new Server(httpServer, {
  serveClient: false,
  transports: ["websocket"],
  perMessageDeflate: false,
  maxHttpBufferSize: 64 * 1024,
});

let nextMessageId = 1;

io.on("connection", (socket) => {
  const user = String(socket.handshake.query.user || "");
  const groups = String(socket.handshake.query.groups || "").split(",").filter(Boolean);
  if (!namePattern.test(user) || !groups.every((g) => namePattern.test(g))) {
    socket.disconnect(true);
    return;
  }
  socket.join(["user:" + user, ...groups.map((g) => "group:" + g)]);

  socket.on("send", (frame, ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    if (!frame || typeof frame.text !== "string" || typeof frame.client_message_id !== "string") {
      reply({ error: "missing_field" });
      return;
    }
    const message = {
      message_id: nextMessageId++,
      sender: user,
      text: frame.text,
      sent_at: Date.now(),
      client_message_id: frame.client_message_id,
    };
    if (typeof frame.to_user === "string") {
      // socket.to() leaves out the sending socket itself, as chat-server does.
      socket.to("user:" + frame.to_user).to("user:" + user).emit("message", message);
    } else if (typeof frame.group === "string") {
      message.group = frame.group;
      socket.to("group:" + frame.group).emit("message", message);
    } else {
      reply({ error: "missing_field" });
      return;
    }
    reply({ client_message_id: message.client_message_id, message_id: message.message_id });
  });
});

httpServer.listen(0, "127.0.0.1", () => {
  const port = String(httpServer.address().port);
  if (portFile) {
    fs.writeFileSync(portFile + ".tmp", port + "\n");
    fs.renameSync(portFile + ".tmp", portFile);
  }
  console.error("socket.io reference listening on 127.0.0.1:" + port);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    io.close();
    process.exit(0);
  });
}
