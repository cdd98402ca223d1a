// D1 for Python: local D1Database / D1PreparedStatement objects in front of wrangler's D1 proxy.
//
// The proxy learns each property of a remote object with a *blocking* round trip to workerd, and
// every prepared statement is a new remote object. Pyodide probes a JavaScript object's properties
// when Python first touches it, so a Python query through the raw proxy blocked the whole runtime
// for ~30 ms. These local objects answer the probes themselves, and reusing one remote statement
// per SQL text lets the proxy call it asynchronously after its first use.

const REMOTE_STATEMENTS_KEPT = 256;

export class D1Database {
  #remote;
  #statements = new Map();

  constructor(remote) {
    this.#remote = remote;
  }

  prepare(sql) {
    return new D1PreparedStatement(this, sql, []);
  }

  batch(statements) {
    return this.#remote.batch(statements.map((statement) => statement.remoteStatement()));
  }

  exec(sql) {
    return this.#remote.exec(sql);
  }

  dump() {
    return this.#remote.dump();
  }

  withSession(constraintOrBookmark) {
    return new D1Database(this.#remote.withSession(constraintOrBookmark));
  }

  getBookmark() {
    return this.#remote.getBookmark();
  }

  remoteStatement(sql) {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#remote.prepare(sql);
      if (this.#statements.size >= REMOTE_STATEMENTS_KEPT)
        this.#statements.delete(this.#statements.keys().next().value);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

export class D1PreparedStatement {
  #database;
  #sql;
  #values;

  constructor(database, sql, values) {
    this.#database = database;
    this.#sql = sql;
    this.#values = values;
  }

  bind(...values) {
    return new D1PreparedStatement(this.#database, this.#sql, values);
  }

  first(columnName) {
    return columnName === undefined ? this.remoteStatement().first() : this.remoteStatement().first(columnName);
  }

  all() {
    return this.remoteStatement().all();
  }

  run() {
    return this.remoteStatement().run();
  }

  raw(options) {
    return options === undefined ? this.remoteStatement().raw() : this.remoteStatement().raw(options);
  }

  remoteStatement() {
    const statement = this.#database.remoteStatement(this.#sql);
    return this.#values.length ? statement.bind(...this.#values) : statement;
  }
}
