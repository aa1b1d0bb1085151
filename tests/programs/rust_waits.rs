// 10,000 Rust threads wait at once on a Condvar, then in
// mpsc::Receiver::recv, then in thread::park. Rust's standard library
// waits with syscall(SYS_futex) directly, so under mnrt each waiter kept
// a kernel thread; now they park: at most procs + 8 kernel threads while
// all wait. Built at test time with rustc when it is installed.
use std::os::raw::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread;

const THREADS: usize = 10_000;

extern "C" {
    fn dlsym(handle: *mut c_void, name: *const c_char) -> *mut c_void;
}

#[repr(C)]
struct Stats {
    size: usize,
    procs: c_int,
}

// The number of Ps under mnrt, None natively.
fn mnrt_procs() -> Option<i32> {
    unsafe {
        let get = dlsym(std::ptr::null_mut(), b"mnrt_get_stats\0".as_ptr() as *const c_char);
        if get.is_null() {
            return None;
        }
        let get: extern "C" fn(*mut Stats) -> c_int = std::mem::transmute(get);
        let mut st = Stats { size: std::mem::size_of::<Stats>(), procs: 0 };
        get(&mut st);
        Some(st.procs)
    }
}

fn kernel_threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

fn spawn(f: impl FnOnce() + Send + 'static) -> thread::JoinHandle<()> {
    thread::Builder::new().stack_size(64 * 1024).spawn(f).unwrap()
}

fn wait_arrived(arrived: &AtomicUsize) {
    while arrived.load(Ordering::SeqCst) < THREADS {
        thread::sleep(std::time::Duration::from_millis(1));
    }
}

fn check(what: &str, kthreads: usize) {
    if let Some(procs) = mnrt_procs() {
        let limit = procs as usize + 8;
        eprintln!("{}: {} kernel threads (limit {})", what, kthreads, limit);
        if kthreads > limit {
            eprintln!("check failed: {} kernel threads with {} threads in {}", kthreads, THREADS, what);
            std::process::exit(1);
        }
    }
    println!("{} threads waited in {} and all went on", THREADS, what);
}

fn main() {
    // Condvar
    let arrived = Arc::new(AtomicUsize::new(0));
    let state = Arc::new((Mutex::new(false), Condvar::new()));
    let ts: Vec<_> = (0..THREADS)
        .map(|_| {
            let (arrived, state) = (arrived.clone(), state.clone());
            spawn(move || {
                let (mu, cv) = &*state;
                let mut go = mu.lock().unwrap();
                arrived.fetch_add(1, Ordering::SeqCst);
                while !*go {
                    go = cv.wait(go).unwrap();
                }
            })
        })
        .collect();
    wait_arrived(&arrived);
    let k = kernel_threads();
    *state.0.lock().unwrap() = true;
    state.1.notify_all();
    ts.into_iter().for_each(|t| t.join().unwrap());
    check("Condvar::wait", k);

    // mpsc
    let arrived = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::new();
    let ts: Vec<_> = (0..THREADS)
        .map(|i| {
            let (tx, rx) = mpsc::channel::<usize>();
            senders.push(tx);
            let arrived = arrived.clone();
            spawn(move || {
                arrived.fetch_add(1, Ordering::SeqCst);
                assert_eq!(rx.recv().unwrap(), i);
            })
        })
        .collect();
    wait_arrived(&arrived);
    let k = kernel_threads();
    for (i, tx) in senders.iter().enumerate() {
        tx.send(i).unwrap();
    }
    ts.into_iter().for_each(|t| t.join().unwrap());
    check("mpsc::Receiver::recv", k);

    // park
    let arrived = Arc::new(AtomicUsize::new(0));
    let released = Arc::new(AtomicUsize::new(0));
    let ts: Vec<_> = (0..THREADS)
        .map(|_| {
            let (arrived, released) = (arrived.clone(), released.clone());
            spawn(move || {
                arrived.fetch_add(1, Ordering::SeqCst);
                while released.load(Ordering::SeqCst) == 0 {
                    thread::park();
                }
            })
        })
        .collect();
    wait_arrived(&arrived);
    let k = kernel_threads();
    released.store(1, Ordering::SeqCst);
    ts.iter().for_each(|t| t.thread().unpark());
    ts.into_iter().for_each(|t| t.join().unwrap());
    check("thread::park", k);
}
