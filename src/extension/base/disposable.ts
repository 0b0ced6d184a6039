/** Something that releases what it holds; VS Code's `Disposable` satisfies it. */
export interface IDisposable {
	dispose(): void;
}

/** Base class that disposes everything registered with it, last registered first. */
export abstract class Disposable implements IDisposable {
	private readonly disposables: IDisposable[] = [];
	private disposed = false;

	protected _register<T extends IDisposable>(disposable: T): T {
		if (this.disposed) {
			disposable.dispose();
		} else {
			this.disposables.push(disposable);
		}
		return disposable;
	}

	dispose(): void {
		if (this.disposed) {
			return;
		}
		this.disposed = true;
		for (const disposable of this.disposables.splice(0).reverse()) {
			disposable.dispose();
		}
	}
}

type Listener<T> = (value: T) => void;

/** A minimal event emitter with VS Code's `Event<T>` shape, usable outside the extension host. */
export class Emitter<T> implements IDisposable {
	private listeners = new Set<Listener<T>>();

	readonly event = (listener: Listener<T>): IDisposable => {
		this.listeners.add(listener);
		return { dispose: () => this.listeners.delete(listener) };
	};

	fire(value: T): void {
		for (const listener of [...this.listeners]) {
			listener(value);
		}
	}

	dispose(): void {
		this.listeners.clear();
	}
}

export type Event<T> = (listener: (value: T) => void) => IDisposable;
