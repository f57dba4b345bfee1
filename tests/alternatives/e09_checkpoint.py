"""A correct e09 written differently: the step variable from a NumPy int64, a manager that
reads the folder's `checkpoint` file (manager.latest_checkpoint) to restore, a restore that
asserts every existing object matched (as the lesson recommends), a tf.function training
step with the optimizer built up front, and checkpoint.step as the loop counter."""
import numpy as np
import tensorflow as tf


def make_checkpoint(model, optimizer):
    counter = tf.Variable(np.int64(0), trainable=False, name="step")
    return tf.train.Checkpoint(step=counter, optimizer=optimizer, model=model)


def save(checkpoint, directory, max_to_keep):
    manager = tf.train.CheckpointManager(checkpoint, directory=directory,
                                         max_to_keep=max_to_keep, checkpoint_name="ckpt")
    path = manager.save()
    return str(path)


def restore_latest(checkpoint, directory):
    state = tf.train.get_checkpoint_state(directory)
    if state is None or not state.model_checkpoint_path:
        return 0
    manager = tf.train.CheckpointManager(checkpoint, directory=directory, max_to_keep=None)
    latest = manager.latest_checkpoint
    if latest is None:
        return 0
    checkpoint.restore(latest).assert_existing_objects_matched()
    return int(checkpoint.step)


def train_resumable(make_model, X, y, total_steps, directory, stop_after=None):
    X = tf.convert_to_tensor(np.asarray(X, dtype=np.float32))
    y = tf.convert_to_tensor(np.asarray(y, dtype=np.float32))
    model = make_model()
    optimizer = tf.keras.optimizers.Adam(learning_rate=0.01)
    # Create every variable (the model's weights, Adam's count and moments) before the
    # restore, so the checkpoint's values land in them directly.
    model(X[:1])
    optimizer.build(model.trainable_variables)
    checkpoint = make_checkpoint(model, optimizer)
    restore_latest(checkpoint, directory)

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(y - model(X)))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    limit = None if stop_after is None else int(stop_after)
    taken = 0
    while int(checkpoint.step) < int(total_steps):
        if limit is not None and taken >= limit:
            break
        train_step()
        checkpoint.step.assign_add(1)
        save(checkpoint, directory, max_to_keep=5)
        taken += 1
    return [np.array(v) for v in model.trainable_variables]
