"""A correct e09 in the TensorFlow 2 handbook's style: tf.train.CheckpointManager for
saving and restoring, model.variables, a print after every saved step, and no assumption
about whether make_model() comes built."""
import tensorflow as tf


def make_checkpoint(model, optimizer):
    return tf.train.Checkpoint(model=model, optimizer=optimizer, step=tf.Variable(0, dtype=tf.int64))


def save(checkpoint, directory, max_to_keep):
    manager = tf.train.CheckpointManager(checkpoint, directory=directory, max_to_keep=max_to_keep)
    return manager.save()


def restore_latest(checkpoint, directory):
    manager = tf.train.CheckpointManager(checkpoint, directory=directory, max_to_keep=None)
    if manager.latest_checkpoint is None:
        return 0
    checkpoint.restore(manager.latest_checkpoint)
    return checkpoint.step.numpy()


def train_resumable(make_model, X, y, total_steps, directory, stop_after=None):
    model = make_model()
    optimizer = tf.keras.optimizers.Adam(learning_rate=0.01)
    checkpoint = make_checkpoint(model, optimizer)
    restore_latest(checkpoint, directory)
    steps_this_call = 0
    while checkpoint.step.numpy() < total_steps:
        if stop_after is not None and steps_this_call == stop_after:
            break
        with tf.GradientTape() as tape:
            y_pred = model(X)
            loss = tf.reduce_mean(tf.square(y_pred - y))
        grads = tape.gradient(loss, model.variables)
        optimizer.apply_gradients(grads_and_vars=zip(grads, model.variables))
        checkpoint.step.assign_add(1)
        path = save(checkpoint, directory, max_to_keep=3)
        print("step %d: loss %f, saved to %s" % (checkpoint.step.numpy(), loss.numpy(), path))
        steps_this_call += 1
    return [variable.numpy() for variable in model.variables]
