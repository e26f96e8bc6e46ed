//! A small HTTP server on the standard library: GET / answers with the
//! greeting read from templates/greeting.txt at request time.

use std::env;
use std::fs;
use std::io::{BufRead, BufReader, Write};
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

fn respond(mut stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Read the headers up to the blank line; the body (if any) is ignored.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, body) = if method != "GET" {
        ("405 Method Not Allowed", "method not allowed\n".to_string())
    } else if path != "/" {
        ("404 Not Found", "not found\n".to_string())
    } else {
        match fs::read_to_string("templates/greeting.txt") {
            Ok(greeting) => ("200 OK", format!("rust: {greeting}")),
            Err(err) => {
                eprintln!("reading the greeting: {err}");
                ("500 Internal Server Error", "no greeting\n".to_string())
            }
        }
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
