//! A small HTTP server with a dependency from crates.io: requests are
//! parsed with httparse, and GET / answers with the greeting read from
//! templates/greeting.txt at request time.

use std::env;
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process;
use std::thread;

// std has no signal handling, and as PID 1 in a container a SIGTERM with no
// handler is ignored (docker stop would wait for its timeout): a handler
// that ends the process, through libc, which std links anyway.
extern "C" {
    fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
    fn _exit(status: i32) -> !;
}

const SIGTERM: i32 = 15;

extern "C" fn on_sigterm(_: i32) {
    // Only async-signal-safe calls here: _exit, not process::exit.
    unsafe { _exit(0) }
}

/// Reads until httparse has the whole request head (the body, if any, is
/// ignored): its method and path, or None for a malformed one.
fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<(String, String)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(_)) => {
                let method = req.method.unwrap_or("").to_string();
                let path = req.path.unwrap_or("").to_string();
                return Ok(Some((method, path)));
            }
            Ok(httparse::Status::Partial) if buf.len() < 64 * 1024 => continue,
            _ => return Ok(None),
        }
    }
}

fn respond(mut stream: TcpStream) -> std::io::Result<()> {
    let (status, body) = match read_request(&mut stream)? {
        None => ("400 Bad Request", "bad request\n".to_string()),
        Some((method, _)) if method != "GET" => {
            ("405 Method Not Allowed", "method not allowed\n".to_string())
        }
        Some((_, path)) if path != "/" => ("404 Not Found", "not found\n".to_string()),
        Some(_) => match fs::read_to_string("templates/greeting.txt") {
            Ok(greeting) => ("200 OK", format!("rust-crates: {greeting}")),
            Err(err) => {
                eprintln!("reading the greeting: {err}");
                ("500 Internal Server Error", "no greeting\n".to_string())
            }
        },
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

fn main() {
    let port = env::var("PORT").unwrap_or_else(|_| "8080".to_string());
    let listener = TcpListener::bind(format!("0.0.0.0:{port}")).unwrap_or_else(|err| {
        eprintln!("cannot listen on :{port}: {err}");
        process::exit(1);
    });
    unsafe {
        signal(SIGTERM, on_sigterm);
    }
    println!("listening on :{port}");
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                thread::spawn(move || {
                    if let Err(err) = respond(stream) {
                        eprintln!("connection: {err}");
                    }
                });
            }
            Err(err) => eprintln!("accept: {err}"),
        }
    }
}
